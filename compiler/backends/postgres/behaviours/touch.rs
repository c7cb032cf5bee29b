//! `touch(updated_at)`: a BEFORE UPDATE row trigger sets the column to the
//! transaction's time, whatever the statement wrote there.

use super::provenance;
use crate::backends::postgres::lower::Lowering;
use crate::backends::postgres::quote;
use crate::semantic::ir;

impl Lowering<'_> {
    pub(super) fn lower_touch(&mut self, entity: &ir::Entity, behaviour: &ir::Behaviour) {
        let column = Self::argument(entity, behaviour, 0);
        let body = format!("\nBEGIN\n  NEW.{} := now();\n  RETURN NEW;\nEND\n", quote::ident(&column));
        let comment = provenance(entity, behaviour, &format!("Sets `{column}` to now() on every update."));
        self.row_trigger(entity, "touch", "BEFORE", &["UPDATE"], body, comment);
    }
}
