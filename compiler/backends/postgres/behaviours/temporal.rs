//! `temporal(valid_from)`: every past version of a row is kept.
//!
//! - `<table>_history` has the table's columns (plain: no keys, defaults,
//!   identity or generation; optional but for the key and `valid_from`, as
//!   versions filed before a column was added have no value) plus
//!   `valid_to`; a version was current from `valid_from` (inclusive) to
//!   `valid_to` (exclusive). An exclusion constraint keeps the periods of
//!   one key from overlapping; a btree index on (key, `valid_from`) finds
//!   one row's versions.
//! - A BEFORE UPDATE trigger starts the new version at the transaction's
//!   time (at the clock's, when the old version began later than that); an
//!   AFTER UPDATE OR DELETE trigger, SECURITY DEFINER so writers need no
//!   privilege on the history, files the old version. A version that lived for no time (changed again
//!   in the transaction that made it) is not filed.
//! - `<table>_as_of(as_of timestamptz)` returns the rows as they were at a
//!   time, as history rows (`valid_to` infinity for the current version).
//!
//! Times are transaction start times (`now()`), like the defaults, except
//! for a transaction that changes a version begun after it started.

use super::provenance;
use crate::backends::postgres::lower::{self, Lowering};
use crate::backends::postgres::model::{Column, Exclusion, Function, Index, Table};
use crate::backends::postgres::quote;
use crate::diagnostics::{codes, Diagnostic};
use crate::semantic::ir;

/// The column that closes a version in the history table.
pub const VALID_TO: &str = "valid_to";

impl Lowering<'_> {
    pub(super) fn lower_temporal(&mut self, entity: &ir::Entity, behaviour: &ir::Behaviour) {
        let valid_from = Self::argument(entity, behaviour, 0);
        let Some(table) = self.table(&entity.table) else { return };
        // The columns a version keeps: the entity's own (not the search vector).
        let kept: Vec<Column> = table
            .columns
            .iter()
            .filter(|c| entity.fields.iter().any(|f| f.column == c.name))
            .map(|c| Column {
                name: c.name.clone(),
                ty: c.ty.clone(),
                // Versions filed before a column existed have no value for
                // it: only the key and the period are always there.
                not_null: entity.primary_key.iter().any(|k| Self::column_of(entity, k) == c.name)
                    || c.name == valid_from,
                default: None,
                identity: false,
                identity_always: false,
                serial: false,
                generated: None,
                comment: None,
            })
            .collect();
        if kept.iter().any(|c| c.name == VALID_TO) {
            let d = Diagnostic::new(
                codes::E0801,
                format!("`{}` has a field stored as `{VALID_TO}`, the column its history adds", entity.name),
            );
            let d = self.at(d, &entity.id, "temporal entity");
            self.report(d.help(format!("rename the field (the history table closes each version with `{VALID_TO}`)")));
            return;
        }
        let history = lower::generated_name(&entity.table, "history");
        let what = format!("the history table of `{}` (pattern `temporal`)", entity.name);
        if !self.claim_user_name("relation", &history, &what, &entity.id) {
            return;
        }
        self.claim_user_name("type", &history, &format!("the row type of {what}"), &entity.id);
        let key = Self::columns_of(entity, &entity.primary_key);

        let mut columns = kept;
        columns.push(Column {
            name: VALID_TO.into(),
            ty: "timestamp with time zone".into(),
            not_null: true,
            default: None,
            identity: false,
            identity_always: false,
            serial: false,
            generated: None,
            comment: Some("When this version stopped being current (exclusive).".into()),
        });
        let (vf, vt) = (quote::ident(&valid_from), quote::ident(VALID_TO));
        let mut elements: Vec<(String, String)> = key.iter().map(|c| (quote::ident(c), "=".to_string())).collect();
        elements.push((format!("tstzrange({vf}, {vt})"), "&&".into()));
        self.require_extension("btree_gist");
        let exclusion = self.relations.generate(&[&history, "no_overlap"]);
        self.add_table(Table {
            name: history.clone(),
            columns: columns.clone(),
            exclusions: vec![Exclusion { name: exclusion, method: "gist".into(), elements, predicate: None }],
            comment: Some(provenance(
                entity,
                behaviour,
                &format!(
                    "Past versions of `{}`, each current from `{valid_from}` until `{VALID_TO}`; read with `{}_as_of`.",
                    entity.table, entity.table
                ),
            )),
            ..Table::default()
        });
        self.histories.insert(entity.name.clone(), history.clone());
        // The versions of one row, in order (the exclusion's GiST index cannot
        // serve `id = 42` when the literal's type differs from the key's).
        let mut parts: Vec<&str> = vec![&history];
        parts.extend(key.iter().map(String::as_str));
        parts.extend([valid_from.as_str(), "idx"]);
        let index = self.relations.generate(&parts);
        self.catalog.indexes.push(Index {
            name: index,
            table: history.clone(),
            unique: false,
            method: "btree".into(),
            keys: key.iter().chain([&valid_from]).map(|c| quote::ident(c)).collect(),
            include: Vec::new(),
            predicate: None,
            comment: Some("Finds the versions of one row, in order.".into()),
        });

        // The new version starts at the transaction's time — or, when the
        // old version began later than that (it was written by a transaction
        // that started after this one but committed first), at the clock's
        // time, which is later still: the old version is filed either way.
        let body = format!("\nBEGIN\n  NEW.{vf} := {};\n  RETURN NEW;\nEND\n", version_start(&vf));
        let comment = provenance(entity, behaviour, &format!("Starts the new version of a row: sets `{valid_from}`."));
        self.row_trigger(entity, "valid_from", "BEFORE", &["UPDATE"], body, comment);

        let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
        let old_values: Vec<String> = names
            .iter()
            .map(|c| if c == VALID_TO { "ended".to_string() } else { format!("OLD.{}", quote::ident(c)) })
            .collect();
        let body = format!(
            "\nDECLARE\n  ended timestamptz;\nBEGIN\n  IF TG_OP = 'UPDATE' THEN\n    ended := NEW.{vf};\n  ELSE\n    ended := {};\n  END IF;\n  IF OLD.{vf} < ended THEN\n    INSERT INTO {} ({})\n    VALUES ({});\n  END IF;\n  RETURN NULL;\nEND\n",
            version_start(&vf),
            self.table_name(&history),
            quote::ident_list(&names),
            old_values.join(", ")
        );
        let comment = provenance(entity, behaviour, &format!("Files the old version of a row in `{history}`."));
        let function = self.row_trigger(entity, "history", "AFTER", &["UPDATE", "DELETE"], body, comment);
        self.run_as_owner(&function);

        let as_of = lower::generated_name(&entity.table, "as_of");
        let what = format!("the as-of function of `{}` (pattern `temporal`)", entity.name);
        if !self.claim_user_name("function", &as_of, &what, &entity.id) {
            return;
        }
        self.routines.claim(&as_of);
        let current: Vec<String> = names
            .iter()
            .map(|c| if c == VALID_TO { "'infinity'::timestamptz".to_string() } else { quote::ident(c) })
            .collect();
        let body = format!(
            "\n  SELECT {} FROM {} WHERE {vf} <= as_of\n  UNION ALL\n  SELECT {} FROM {} WHERE {vf} <= as_of AND as_of < {vt}\n",
            current.join(", "),
            self.table_name(&entity.table),
            quote::ident_list(&names),
            self.table_name(&history),
        );
        self.catalog.functions.push(Function {
            name: as_of,
            params: vec![("as_of".into(), "timestamp with time zone".into())],
            returns: format!("SETOF {}", self.table_name(&history)),
            language: "sql".into(),
            body,
            volatility: Some("STABLE".into()),
            comment: Some(provenance(
                entity,
                behaviour,
                &format!(
                    "The rows of `{}` as they were at `as_of`, with the period each version was current.",
                    entity.table
                ),
            )),
            ..Function::default()
        });
    }
}

/// When a change to a row whose version began at `OLD.<vf>` happens: the
/// transaction's time, unless the version began later than that.
fn version_start(vf: &str) -> String {
    format!("CASE WHEN OLD.{vf} > now() THEN clock_timestamp() ELSE now() END")
}
