//! `immutable(created_at, …)`: a BEFORE UPDATE row trigger refuses an update
//! that changes one of the columns (writing the same value back is fine, as
//! ORMs that save whole rows do).

use super::provenance;
use crate::backends::postgres::lower::Lowering;
use crate::backends::postgres::quote;
use crate::semantic::ir;

impl Lowering<'_> {
    pub(super) fn lower_immutable(&mut self, entity: &ir::Entity, behaviour: &ir::Behaviour) {
        let columns: Vec<String> = (0..behaviour.args.len()).map(|i| Self::argument(entity, behaviour, i)).collect();
        let mut body = String::from("\nBEGIN\n");
        for column in &columns {
            let c = quote::ident(column);
            body.push_str(&format!(
                "  IF NEW.{c} IS DISTINCT FROM OLD.{c} THEN\n    RAISE EXCEPTION 'column %.% cannot be changed', TG_TABLE_NAME, {}\n      USING ERRCODE = 'check_violation', HINT = 'it keeps the value the row was inserted with';\n  END IF;\n",
                quote::literal(column)
            ));
        }
        body.push_str("  RETURN NEW;\nEND\n");
        let list = columns.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ");
        let comment = provenance(entity, behaviour, &format!("Refuses updates that change {list}."));
        self.row_trigger(entity, "immutable", "BEFORE", &["UPDATE"], body, comment);
    }
}
