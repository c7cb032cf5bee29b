//! W0203: `timestamp` stores a wall-clock time with no zone; the same value
//! means different instants to sessions in different zones. `timestamptz`
//! stores an instant and costs the same 8 bytes. A doc comment on the field
//! (saying it is a local wall-clock time on purpose) silences it.

use super::at;
use crate::diagnostics::{codes, Diagnostic};
use crate::passes::Context;
use crate::semantic::ir::{Ir, Type};

pub fn run(ir: &Ir, cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for entity in &ir.entities {
        for field in entity.fields.iter().filter(|f| matches!(f.ty, Type::Timestamp { .. }) && f.doc.is_none()) {
            let d = Diagnostic::new(
                codes::W0203,
                format!("`{}.{}` is a timestamp without time zone", entity.name, field.name),
            );
            out.push(
                at(d, cx, &field.id, "no time zone")
                    .help("use `timestamptz`, unless this is a local wall-clock time on purpose (then say so in a `///` doc comment)"),
            );
        }
    }
    out
}
