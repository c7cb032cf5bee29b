//! Behaviours of patterns (`behaviour touch(updated_at)`), once the entity's
//! fields are known: each argument is checked against the field it names
//! (E0405: the wrong kind of field, a missing or extra argument), a kind
//! attached twice is refused (E0406), and what a behaviour changes in the
//! entity itself is done here so every backend sees it — `soft_delete` makes
//! each unique key a unique key of live rows.
//!
//! How a behaviour works on a database (triggers, history tables, policies)
//! is each backend's business; this module must not assume one.

use super::ir::{self, BehaviourKind, BinaryOp, Expr, Type};
use super::lower::Analyzer;
use super::types::ValueType;
use crate::diagnostics::{codes, Diagnostic, Span};

/// What a behaviour's arguments must be.
struct Signature {
    /// Each argument names a field of the entity; `None`: any number (≥ 1).
    arity: Option<usize>,
    /// What the field must be, in words, and the test (its value type, its
    /// declared type, whether it is optional).
    field: (&'static str, FieldTest),
}

type FieldTest = fn(&ValueType, &Type, bool) -> bool;

fn signature(kind: BehaviourKind) -> Signature {
    let one = |wanted, test| Signature { arity: Some(1), field: (wanted, test) };
    match kind {
        BehaviourKind::Touch => one("a timestamp field", |v, _, _| *v == ValueType::Timestamp),
        BehaviourKind::Immutable => Signature { arity: None, field: ("a field", |_, _, _| true) },
        BehaviourKind::SoftDelete => {
            one("an optional timestamp field", |v, _, optional| *v == ValueType::Timestamp && optional)
        }
        BehaviourKind::Audit => Signature { arity: Some(0), field: ("", |_, _, _| true) },
        BehaviourKind::Temporal => {
            one("a required `timestamptz` field", |_, t, optional| matches!(t, Type::Timestamptz { .. }) && !optional)
        }
        BehaviourKind::TenantIsolation => one("a required field (the tenant key)", |_, _, optional| !optional),
        BehaviourKind::OptimisticLock => {
            one("a required integer field", |v, _, optional| *v == ValueType::Int && !optional)
        }
    }
}

/// For "unknown behaviour" notes.
pub const LIST: &str =
    "behaviours are touch, immutable, soft_delete, audit, temporal, tenant_isolation and optimistic_lock";

pub fn name(kind: BehaviourKind) -> &'static str {
    BehaviourKind::ALL.iter().find(|(_, k)| *k == kind).map_or("?", |(n, _)| n)
}

impl<'a> Analyzer<'a> {
    /// Checks a lowered behaviour against its entity. `at`: where to point
    /// (the `behaviour` line, or the `apply` line that brought it). Returns
    /// false when it reported a problem; the behaviour is then left out.
    pub(super) fn check_behaviour(&mut self, entity: &ir::Entity, behaviour: &ir::Behaviour, at: Span) -> bool {
        let kind = name(behaviour.kind);
        if let Some(other) = entity.behaviours.iter().find(|b| b.kind == behaviour.kind) {
            let from = |p: &str| if p.is_empty() { "the entity".to_string() } else { format!("pattern `{p}`") };
            self.report(
                Diagnostic::new(codes::E0406, format!("`{}` gets behaviour `{kind}` twice", entity.name))
                    .at(at, format!("from {}", from(&behaviour.pattern)))
                    .note(format!("{} attached it already", from(&other.pattern)))
                    .help("apply only one of the patterns that carry it"),
            );
            return false;
        }
        let signature = signature(behaviour.kind);
        let (wanted, fits) = signature.field;
        let count_ok = match signature.arity {
            Some(n) => behaviour.args.len() == n,
            None => !behaviour.args.is_empty(),
        };
        if !count_ok {
            let expected = match signature.arity {
                Some(0) => "no arguments".to_string(),
                Some(1) => format!("one argument, {wanted}"),
                Some(n) => format!("{n} arguments"),
                None => format!("one or more arguments, each {wanted}"),
            };
            self.report(
                Diagnostic::new(
                    codes::E0405,
                    format!("behaviour `{kind}` takes {expected}; {} given", behaviour.args.len()),
                )
                .at(at, format!("on `{}`", entity.name)),
            );
            return false;
        }
        let mut ok = true;
        for arg in &behaviour.args {
            let Expr::Column { name: field } = arg else {
                self.report(
                    Diagnostic::new(codes::E0405, format!("behaviour `{kind}` takes a field name"))
                        .at(at, format!("on `{}`", entity.name))
                        .help(format!("name {wanted} of `{}`", entity.name)),
                );
                ok = false;
                continue;
            };
            let Some(f) = entity.field(field) else { continue };
            let value = self.value_type(&f.ty);
            if !fits(&value, &f.ty, f.nullable) {
                self.report(
                    Diagnostic::new(
                        codes::E0405,
                        format!("behaviour `{kind}` needs {wanted}, but `{}.{field}` is not", entity.name),
                    )
                    .at(at, format!("on `{}`", entity.name))
                    .note(format!(
                        "`{field}` is {}{}",
                        value.describe(),
                        if f.nullable { " and optional" } else { "" }
                    )),
                );
                ok = false;
            }
        }
        ok
    }

    /// `soft_delete`: a unique key holds among live rows only, so a deleted
    /// row's email can be registered again. (Foreign keys reference primary
    /// keys, which stay whole.)
    pub(super) fn live_uniques(&mut self) {
        for build in self.entities.values_mut() {
            let entity = &mut build.entity;
            let Some(marker) = entity.behaviours.iter().find(|b| b.kind == BehaviourKind::SoftDelete) else {
                continue;
            };
            let Some(Expr::Column { name: deleted_at }) = marker.args.first() else { continue };
            let live = Expr::IsNull { expr: Box::new(Expr::Column { name: deleted_at.clone() }), negated: false };
            for unique in &mut entity.uniques {
                unique.predicate = Some(match unique.predicate.take() {
                    None => live.clone(),
                    Some(p) => Expr::Binary { op: BinaryOp::And, left: Box::new(p), right: Box::new(live.clone()) },
                });
            }
        }
    }
}
