//! W0202: a nullable boolean has three values, and `where not flag` skips
//! the NULLs — a classic source of missing rows.

use super::at;
use crate::diagnostics::{codes, Diagnostic};
use crate::passes::Context;
use crate::semantic::ir::{Ir, Type};

pub fn run(ir: &Ir, cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for entity in &ir.entities {
        for field in entity.fields.iter().filter(|f| f.nullable && f.ty == Type::Bool) {
            let d = Diagnostic::new(codes::W0202, format!("`{}.{}` is a nullable boolean", entity.name, field.name));
            out.push(
                at(d, cx, &field.id, "true, false or null")
                    .note("conditions like `not flag` do not match the null rows")
                    .help(format!(
                        "give it a default: `{} bool = false`, or use an enum if there are three states",
                        field.name
                    )),
            );
        }
    }
    out
}
