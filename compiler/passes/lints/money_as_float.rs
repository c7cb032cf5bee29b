//! W0204: an amount of money in a floating-point column. `real` and
//! `double` cannot hold 0.10 exactly; sums drift by cents.

use super::at;
use crate::diagnostics::{codes, Diagnostic};
use crate::passes::Context;
use crate::semantic::ir::{Ir, Type};

/// Words in a field name that say it holds money.
const MONEY_WORDS: &[&str] =
    &["price", "amount", "cost", "total", "subtotal", "balance", "fee", "salary", "tax", "money", "payment", "revenue"];

pub fn run(ir: &Ir, cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for entity in &ir.entities {
        for field in entity.fields.iter().filter(|f| matches!(f.ty, Type::Real | Type::Double)) {
            if !field.name.split('_').any(|word| MONEY_WORDS.contains(&word)) {
                continue;
            }
            let d = Diagnostic::new(
                codes::W0204,
                format!("`{}.{}` looks like money but is a floating-point number", entity.name, field.name),
            );
            out.push(
                at(d, cx, &field.id, "floating point")
                    .note("0.1 + 0.2 is not 0.3 in floating point; money sums drift")
                    .help("use `money` from std::types (numeric(19, 4)) or `numeric(p, s)`"),
            );
        }
    }
    out
}
