//! `type Settings = json { theme text, tags text[]?, address json? { zip text } }`:
//! the keys a json value must have, each with the kind of json value its
//! written type stands for (`text` → string, numbers → number, `bool` →
//! boolean, an enum → one of its values, `T[]` → array, `json` → any value,
//! or an object with its own shape). `?` lets a key be missing or `null`.
//!
//! Only the IR is built here; how a backend enforces a shape (a CHECK on a
//! PostgreSQL domain) is the backend's business.

use super::ir::{JsonShape, ShapeKind, ShapeMember, Type};
use super::lower::Analyzer;
use super::types::ValueType;
use crate::diagnostics::{codes, Diagnostic, FileId};
use crate::syntax::ast;

impl<'a> Analyzer<'a> {
    /// The shape of alias `name` (whose base is `base`). `None` after reporting.
    pub(super) fn lower_shape(&mut self, file: FileId, base: &Type, shape: &ast::JsonShape) -> Option<JsonShape> {
        if *base != Type::Json {
            self.report(
                Diagnostic::new(codes::E0204, "only a `json` type can declare the keys it has")
                    .at(shape.span, "a shape on a type that is not json")
                    .help("write `type Name = json { key type, … }`"),
            );
            return None;
        }
        self.shape(file, shape)
    }

    fn shape(&mut self, file: FileId, shape: &ast::JsonShape) -> Option<JsonShape> {
        let mut members: Vec<ShapeMember> = Vec::with_capacity(shape.members.len());
        let mut ok = true;
        for member in &shape.members {
            if let Some(first) = shape.members.iter().find(|m| m.name.name == member.name.name) {
                if !std::ptr::eq(first, member) {
                    self.report(
                        Diagnostic::new(codes::E0106, format!("key `{}` is declared twice", member.name.name))
                            .at(member.name.span, "declared again")
                            .also(first.name.span, "first declared here"),
                    );
                    ok = false;
                    continue;
                }
            }
            let Some(ty) = self.resolve_type(file, &member.ty) else {
                ok = false;
                continue;
            };
            match self.shape_kind(file, &ty, member) {
                Some(kind) => {
                    members.push(ShapeMember { name: member.name.name.clone(), optional: member.ty.optional, kind })
                }
                None => ok = false,
            }
        }
        ok.then_some(JsonShape { members })
    }

    fn shape_kind(&mut self, file: FileId, ty: &Type, member: &ast::ShapeMember) -> Option<ShapeKind> {
        if let Type::Array { element } = ty {
            let element = self.shape_kind(file, element, member)?;
            return Some(ShapeKind::Array { element: Box::new(element) });
        }
        let value = self.value_type(ty);
        if let Some(inner) = &member.shape {
            if value != ValueType::Json {
                self.report(
                    Diagnostic::new(
                        codes::E0204,
                        format!("key `{}` is not json: it cannot have keys", member.name.name),
                    )
                    .at(inner.span, "a shape on a key that is not json")
                    .help(format!("write `{} json {{ … }}`", member.name.name)),
                );
                return None;
            }
            return self.shape(file, inner).map(|shape| ShapeKind::Object { shape });
        }
        Some(match value {
            ValueType::Int | ValueType::Numeric | ValueType::Float => ShapeKind::Number,
            ValueType::Bool => ShapeKind::Boolean,
            ValueType::Json | ValueType::Unknown => ShapeKind::Any,
            ValueType::Enum(name) => {
                ShapeKind::OneOf { values: self.enum_values.get(&name).cloned().unwrap_or_default() }
            }
            ValueType::Array(_) => ShapeKind::Array { element: Box::new(ShapeKind::Any) },
            _ => ShapeKind::String,
        })
    }
}
