//! W0200: a text primary key with no reason given. Text keys are wider than
//! integers or UUIDs in every index and foreign key that copies them, and
//! natural keys change. A doc comment on the field is the reason (a code
//! from an external standard, say) and silences the lint.

use super::at;
use crate::diagnostics::{codes, Diagnostic};
use crate::passes::Context;
use crate::semantic::ir::{Ir, Origin, Type};

pub fn run(ir: &Ir, cx: &Context) -> Vec<Diagnostic> {
    let textual = |ty: &Type| {
        let mut ty = ty.clone();
        while let Type::Domain { name } = &ty {
            match ir.domains.iter().find(|d| &d.name == name) {
                Some(d) => ty = d.base.clone(),
                None => return false,
            }
        }
        matches!(ty, Type::Text | Type::Varchar { .. })
    };
    let mut out = Vec::new();
    for entity in &ir.entities {
        let [key] = entity.primary_key.as_slice() else { continue };
        let Some(field) = entity.field(key) else { continue };
        if field.origin != Origin::Declared || field.doc.is_some() || !textual(&field.ty) {
            continue;
        }
        let d = Diagnostic::new(codes::W0200, format!("`{}` has a text primary key `{}`", entity.name, field.name));
        out.push(
            at(d, cx, &field.id, "text key")
                .note("every foreign key and index that refers to it copies the text")
                .help("use `id bigint = identity primary` (keep the text `unique`), or say why in a `///` doc comment"),
        );
    }
    out
}
