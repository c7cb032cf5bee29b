//! W0201: a foreign key no index starts with, when foreign key index
//! inference is turned off. Deleting or updating a parent row then scans the
//! child table, under lock.

use super::at;
use crate::diagnostics::{codes, Diagnostic};
use crate::passes::{is_led_by_index, Context};
use crate::semantic::ir::Ir;

pub fn run(ir: &Ir, cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for entity in &ir.entities {
        for fk in &entity.foreign_keys {
            if fk.columns.is_empty() || is_led_by_index(entity, &fk.columns) {
                continue;
            }
            let d = Diagnostic::new(
                codes::W0201,
                format!("the foreign key ({}) of `{}` has no index", fk.columns.join(", "), entity.name),
            );
            out.push(
                at(d, cx, &fk.relation, "this relation")
                    .note("deleting a `".to_string() + &fk.references + "` row scans the whole table to check it")
                    .help(format!(
                        "add `index ({})` to `{}`, or turn `fk_indexes` back on",
                        fk.columns.join(", "),
                        entity.name
                    )),
            );
        }
    }
    out
}
