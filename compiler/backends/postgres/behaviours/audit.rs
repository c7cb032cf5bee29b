//! `audit`: every insert, update and delete of an audited table is appended
//! to one `audit_log` table.
//!
//! - Each audited table gets an AFTER INSERT OR UPDATE OR DELETE row trigger
//!   whose function is SECURITY DEFINER (with a fixed `search_path`), so
//!   writers need no privilege on the log. It writes one row per changed
//!   row: the table, the operation, the primary key, the old and new rows as
//!   jsonb, the names of the columns an update changed, the acting user from
//!   `ctx.user_id`, the transaction id and the transaction time.
//! - The log is append-only: nobody is granted UPDATE or DELETE on it, and
//!   a trigger refuses UPDATE, DELETE and TRUNCATE even from its owner
//!   (retention is a deliberate `ALTER TABLE … DISABLE TRIGGER` away).

use super::provenance;
use crate::backends::postgres::expr;
use crate::backends::postgres::lower::{self, Lowering};
use crate::backends::postgres::model::{Check, Column, Index, Key, Table, Trigger};
use crate::backends::postgres::{quote, types};
use crate::semantic::ir::{self, Expr, Type};

/// The log every audited table writes to.
pub const AUDIT_LOG: &str = "audit_log";

/// The context value that names the acting user.
pub const ACTOR_CONTEXT: &str = "user_id";

impl Lowering<'_> {
    pub(super) fn lower_audit(&mut self, audited: &[&ir::Entity]) {
        let Some(first) = audited.first() else { return };
        let what = "the audit log of pattern `audit`";
        if !self.claim_user_name("relation", AUDIT_LOG, what, &first.id) {
            return;
        }
        self.claim_user_name("type", AUDIT_LOG, "the row type of the audit log", &first.id);
        // The actor has the declared context type; text when none is declared.
        let actor_type = self.ir.context.iter().find(|c| c.name == ACTOR_CONTEXT).map_or(Type::Text, |c| c.ty.clone());
        let actor =
            expr::print(&Expr::Context { name: ACTOR_CONTEXT.into(), ty: actor_type.clone() }, &self.scope(None));
        self.audit_log_table(&actor_type);
        for entity in audited {
            let behaviour = entity.behaviours.iter().find(|b| b.kind == ir::BehaviourKind::Audit);
            let Some(behaviour) = behaviour else { continue };
            self.audit_trigger(entity, behaviour, &actor);
        }
    }

    fn audit_log_table(&mut self, actor_type: &Type) {
        let schema = self.options.schema.clone();
        let column = |name: &str, ty: &str, not_null: bool, default: Option<&str>, comment: &str| Column {
            name: name.into(),
            ty: ty.into(),
            not_null,
            default: default.map(str::to_string),
            identity: false,
            identity_always: false,
            serial: false,
            generated: None,
            comment: Some(comment.into()),
        };
        let columns = vec![
            Column { identity: true, ..column("id", "bigint", true, None, "Order of writing.") },
            column("at", "timestamp with time zone", true, Some("now()"), "When the transaction started."),
            column("txid", "bigint", true, Some("txid_current()"), "The writing transaction."),
            column("actor", &types::sql(actor_type, &schema), false, None, "`ctx.user_id` of the session, if set."),
            column("table_name", "text", true, None, "The table the row belongs to."),
            column("op", "text", true, None, "INSERT, UPDATE or DELETE."),
            column("row_key", "jsonb", true, None, "The row's primary key, column → value."),
            column("old_row", "jsonb", false, None, "The row before (UPDATE, DELETE)."),
            column("new_row", "jsonb", false, None, "The row after (INSERT, UPDATE)."),
            column("changed", "text[]", false, None, "Columns an UPDATE changed, by name."),
        ];
        let pkey = self.relations.generate(&[AUDIT_LOG, "pkey"]);
        self.add_table(Table {
            name: AUDIT_LOG.into(),
            columns,
            primary_key: Some(Key { name: pkey, columns: vec!["id".into()] }),
            checks: vec![Check {
                name: format!("{AUDIT_LOG}_op_check"),
                expr: "op = ANY (ARRAY['INSERT'::text, 'UPDATE'::text, 'DELETE'::text])".into(),
                raw: false,
            }],
            comment: Some(
                "Every change to the tables with pattern `audit`, one row per changed row. Append-only. \
                 Made by schemac."
                    .into(),
            ),
            ..Table::default()
        });
        let index = self.relations.generate(&[AUDIT_LOG, "table_name", "row_key", "idx"]);
        self.catalog.indexes.push(Index {
            name: index,
            table: AUDIT_LOG.into(),
            unique: false,
            method: "btree".into(),
            keys: vec![quote::ident("table_name"), quote::ident("row_key")],
            include: Vec::new(),
            predicate: None,
            comment: Some("Finds the history of one row.".into()),
        });
        let guard = self.routines.generate(&[AUDIT_LOG, "append_only"]);
        let body = "\nBEGIN\n  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME\n    USING ERRCODE = 'insufficient_privilege', HINT = 'audit rows are never changed or removed';\nEND\n".to_string();
        let comment = "Refuses to change or remove audit rows.".to_string();
        self.catalog.functions.push(super::trigger_function(&guard, body, comment.clone()));
        for (what, events, row) in
            [("append_only", vec!["UPDATE", "DELETE"], true), ("no_truncate", vec!["TRUNCATE"], false)]
        {
            let name = self.triggers.generate(&[AUDIT_LOG, what]);
            self.catalog.triggers.push(Trigger {
                name,
                table: AUDIT_LOG.into(),
                timing: "BEFORE".into(),
                events: events.into_iter().map(String::from).collect(),
                for_each_row: row,
                function: guard.clone(),
                arguments: Vec::new(),
                comment: Some(comment.clone()),
            });
        }
    }

    fn audit_trigger(&mut self, entity: &ir::Entity, behaviour: &ir::Behaviour, actor: &str) {
        let key = Self::columns_of(entity, &entity.primary_key);
        let searchable = entity.search.is_some();
        let row = |record: &str| {
            if searchable {
                format!("to_jsonb({record}) - {}", quote::literal(lower::SEARCH_COLUMN))
            } else {
                format!("to_jsonb({record})")
            }
        };
        let row_key: Vec<String> = key
            .iter()
            .map(|c| format!("{}, coalesce(after_row, before_row) -> {}", quote::literal(c), quote::literal(c)))
            .collect();
        let body = format!(
            "\nDECLARE\n  before_row jsonb;\n  after_row jsonb;\nBEGIN\n  IF TG_OP <> 'INSERT' THEN\n    before_row := {};\n  END IF;\n  IF TG_OP <> 'DELETE' THEN\n    after_row := {};\n  END IF;\n  INSERT INTO {} (actor, table_name, op, row_key, old_row, new_row, changed)\n  VALUES ({actor}, {}, TG_OP, jsonb_build_object({}), before_row, after_row,\n    CASE WHEN TG_OP = 'UPDATE' THEN ARRAY(\n      SELECT a.key FROM jsonb_each(after_row) a\n      WHERE a.value IS DISTINCT FROM before_row -> a.key ORDER BY a.key) END);\n  RETURN NULL;\nEND\n",
            row("OLD"),
            row("NEW"),
            self.table_name(AUDIT_LOG),
            quote::literal(&entity.table),
            row_key.join(", ")
        );
        let comment =
            provenance(entity, behaviour, &format!("Appends every change of `{}` to `{AUDIT_LOG}`.", entity.table));
        let function = self.row_trigger(entity, "audit", "AFTER", &["INSERT", "UPDATE", "DELETE"], body, comment);
        self.run_as_owner(&function);
    }
}
