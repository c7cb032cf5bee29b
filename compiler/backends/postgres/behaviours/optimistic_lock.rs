//! `optimistic_lock(version)`: a BEFORE UPDATE row trigger bumps the version
//! and skips stale updates. An update may leave the version alone or write
//! back the version it read (it is then bumped by one), or bump it itself
//! (`version = version + 1`); any other value means the row changed since
//! it was read, and the row is left as it is — the statement reports zero
//! rows, which is how ORMs detect a lost update.

use super::provenance;
use crate::backends::postgres::lower::Lowering;
use crate::backends::postgres::quote;
use crate::semantic::ir;

impl Lowering<'_> {
    pub(super) fn lower_optimistic_lock(&mut self, entity: &ir::Entity, behaviour: &ir::Behaviour) {
        let column = Self::argument(entity, behaviour, 0);
        let v = quote::ident(&column);
        let body = format!(
            "\nBEGIN\n  IF NEW.{v} = OLD.{v} THEN\n    NEW.{v} := OLD.{v} + 1;\n  ELSIF NEW.{v} IS DISTINCT FROM OLD.{v} + 1 THEN\n    -- Written from a stale read: leave the row alone.\n    RETURN NULL;\n  END IF;\n  RETURN NEW;\nEND\n"
        );
        let comment = provenance(
            entity,
            behaviour,
            &format!("Bumps `{column}` on every update and skips updates that carry a stale `{column}`."),
        );
        self.row_trigger(entity, "version", "BEFORE", &["UPDATE"], body, comment);
    }
}
