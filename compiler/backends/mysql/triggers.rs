//! Triggers on MySQL/MariaDB: source `trigger`s with a `mysql` body (one
//! trigger per event), and the one BEFORE UPDATE trigger per table that does
//! what the `immutable`, `optimistic_lock`, `touch` and `temporal`
//! behaviours need. Tenant isolation is E0802 here; soft delete is
//! `soft_delete.rs`, the audit log `audit.rs`, history tables `temporal.rs`.
//!
//! Part of the lowering (`lower.rs`): it fills the model and reports; it
//! prints no statements.

use super::expr;
use super::lower::{block, clip, Lowering};
use super::model::Trigger;
use super::quote::{ident, literal};
use crate::semantic::ir::{self, BehaviourKind, Expr};

/// The owners of one behaviour MySQL cannot honour yet.
struct Rejected<'a> {
    kind: BehaviourKind,
    pattern: String,
    entities: Vec<&'a ir::Entity>,
}

impl<'a> Lowering<'a> {
    /// Source triggers: the body is the function's `mysql` SQL, run for each
    /// row inside BEGIN … END. MySQL triggers have one event each, so `on
    /// insert or update` is one trigger per event.
    pub(super) fn lower_triggers(&mut self) {
        let ir = self.ir;
        for function in &ir.functions {
            if let ir::FunctionReturns::Value { .. } = function.returns {
                self.unsupported(
                    &format!("function `{}`", function.name),
                    &function.id,
                    "stored functions are not generated for MySQL/MariaDB yet: compute the value in the \
                     application, or keep it on PostgreSQL",
                );
            }
        }
        for aggregate in &ir.aggregates {
            self.unsupported(
                &format!("aggregate `{}`", aggregate.name),
                &aggregate.id,
                "aggregates are PostgreSQL's: compute the value in the application, or keep it on PostgreSQL",
            );
        }
        for trigger in &ir.triggers {
            let Some(entity) = ir.entity(&trigger.entity) else { continue };
            let what = format!("trigger `{}`", trigger.name);
            if !trigger.arguments.is_empty() {
                self.unsupported(
                    &format!("{what} with arguments"),
                    &trigger.id,
                    "MySQL/Mariamysql triggers run their statements without arguments: write the values into the function's `sql mysql` body",
                );
                continue;
            }
            let body = ir
                .functions
                .iter()
                .find(|f| f.name == trigger.function)
                .and_then(|f| f.bodies.get("mysql").or_else(|| f.bodies.get("any")));
            let Some(body) = body else {
                self.unsupported(
                    &format!("{what}, whose function `{}` has no SQL for MySQL", trigger.function),
                    &trigger.id,
                    "add `sql mysql '…'` to the function: the statements the trigger runs (NEW and OLD name the row)",
                );
                continue;
            };
            let timing = match trigger.timing {
                ir::TriggerTiming::Before => "BEFORE",
                ir::TriggerTiming::After => "AFTER",
                ir::TriggerTiming::InsteadOf => {
                    self.unsupported(
                        &format!("`instead of` {what}"),
                        &trigger.id,
                        "MySQL/MariaDB have no INSTEAD OF triggers: use `before` or `after`",
                    );
                    continue;
                }
            };
            if !trigger.for_each_row {
                self.unsupported(
                    &format!("statement-level {what}"),
                    &trigger.id,
                    "MySQL/MariaDB triggers run for each row: declare it `for each row`",
                );
                continue;
            }
            let statements: Vec<String> =
                body.split_terminator(';').map(str::trim).filter(|s| !s.is_empty()).map(|s| format!("{s};")).collect();
            for event in &trigger.events {
                let event = match event {
                    ir::TriggerEvent::Insert => "INSERT",
                    ir::TriggerEvent::Update => "UPDATE",
                    ir::TriggerEvent::Delete => "DELETE",
                };
                let name = if trigger.events.len() == 1 {
                    trigger.name.clone()
                } else {
                    format!("{}_{}", trigger.name, event.to_ascii_lowercase())
                };
                if !self.claim_trigger(&name, &what, &trigger.id) {
                    continue;
                }
                self.schema.triggers.push(Trigger {
                    name,
                    table: entity.table.clone(),
                    timing: timing.into(),
                    event: event.into(),
                    body: block(&statements),
                    comment: trigger.doc.clone(),
                });
            }
        }
    }

    pub(super) fn lower_behaviours(&mut self) {
        let ir = self.ir;
        let mut rejected: Vec<Rejected> = Vec::new();
        let mut audited = Vec::new();
        for entity in &ir.entities {
            if entity.behaviours.iter().any(|b| b.kind == BehaviourKind::Audit) {
                audited.push(entity);
            }
            let find = |kind| entity.behaviours.iter().find(|b| b.kind == kind);
            let mut statements = Vec::new();
            let mut what = Vec::new();
            if let Some(b) = find(BehaviourKind::Immutable) {
                let columns: Vec<String> = (0..b.args.len()).filter_map(|i| argument(entity, b, i)).collect();
                if !columns.is_empty() {
                    let changed: Vec<String> =
                        columns.iter().map(|c| format!("NOT (NEW.{} <=> OLD.{})", ident(c), ident(c))).collect();
                    let message = format!(
                        "{} of {} cannot be changed: it keeps the value the row was inserted with",
                        columns.join(", "),
                        entity.table
                    );
                    statements.push(signal_if(&changed.join(" OR "), &message));
                    what.push(format!("refuses changes to {} (pattern `{}`)", columns.join(", "), b.pattern));
                }
            }
            if let Some(v) = find(BehaviourKind::OptimisticLock).and_then(|b| argument(entity, b, 0)) {
                let c = ident(&v);
                let message = format!("stale {v} of {}: the row changed since it was read", entity.table);
                statements
                    .push(signal_if(&format!("NOT (NEW.{c} <=> OLD.{c}) AND NOT (NEW.{c} <=> OLD.{c} + 1)"), &message));
                statements.push(format!("IF NEW.{c} <=> OLD.{c} THEN SET NEW.{c} = OLD.{c} + 1; END IF;"));
                what.push(format!("bumps `{v}` and refuses stale updates"));
            }
            if let Some(t) = find(BehaviourKind::Touch).and_then(|b| argument(entity, b, 0)) {
                statements.push(format!("SET NEW.{} = {};", ident(&t), expr::NOW));
                what.push(format!("sets `{t}` to the current time"));
            }
            if let Some(b) = find(BehaviourKind::Temporal) {
                if let Some(from) = argument(entity, b, 0) {
                    if let Some(statement) = self.lower_temporal(entity, &from, &b.pattern) {
                        statements.push(statement);
                        what.push(format!("starts a new version at `{from}` (pattern `{}`)", b.pattern));
                    }
                }
            }
            if !statements.is_empty() {
                let name = Self::generate(&mut self.triggers, &format!("{}_before_update", entity.table), "a trigger");
                self.schema.triggers.push(Trigger {
                    name,
                    table: entity.table.clone(),
                    timing: "BEFORE".into(),
                    event: "UPDATE".into(),
                    body: block(&statements),
                    comment: Some(format!("Before each update, {}.", what.join("; "))),
                });
            }
            for b in &entity.behaviours {
                if b.kind == BehaviourKind::SoftDelete {
                    self.lower_soft_delete(entity, &b.pattern);
                }
                if b.kind == BehaviourKind::TenantIsolation {
                    match rejected.iter_mut().find(|r| r.kind == b.kind && r.pattern == b.pattern) {
                        Some(r) => r.entities.push(entity),
                        None => {
                            rejected.push(Rejected { kind: b.kind, pattern: b.pattern.clone(), entities: vec![entity] })
                        }
                    }
                }
            }
        }
        self.lower_audit(&audited);
        for r in rejected {
            let (kind, help) = (
                "tenant isolation",
                "MySQL/MariaDB have no row-level security: a schema that looked isolated would not be; filter by \
                 tenant in the application, or keep this schema on PostgreSQL",
            );
            let names: Vec<String> = r.entities.iter().map(|e| format!("`{}`", e.name)).collect();
            let construct = format!("pattern `{}` ({kind}) on {}", r.pattern, names.join(", "));
            self.unsupported(&construct, &r.entities[0].id, help);
        }
    }
}

/// `IF cond THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '…'; END IF;`
pub(super) fn signal_if(condition: &str, message: &str) -> String {
    // MESSAGE_TEXT keeps 128 characters.
    let message = clip(message, 128);
    format!("IF {condition} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = {}; END IF;", literal(&message))
}

/// The column a behaviour's argument names.
fn argument(entity: &ir::Entity, behaviour: &ir::Behaviour, position: usize) -> Option<String> {
    match behaviour.args.get(position) {
        Some(Expr::Column { name }) => Some(entity.column_of(name)),
        _ => None,
    }
}
