//! Functions, aggregates and triggers: the escape hatch for hand-written
//! procedural code. Bodies are kept as written (backends print them,
//! migrations diff them); names, parameter types, the trigger's entity and
//! function, and the functions an aggregate steps with are checked.

use std::collections::{BTreeMap, BTreeSet};

use super::ir;
use super::lower::{doc, Analyzer, BACKENDS};
use crate::diagnostics::{codes, did_you_mean, Diagnostic, FileId};
use crate::syntax::ast;

impl<'a> Analyzer<'a> {
    pub(super) fn lower_function(&mut self, file: FileId, f: &ast::Function) {
        let id = format!("function:{}", f.name.name);
        if !self.claim_id(
            &id,
            f.name.span,
            || format!("function `{}` is declared twice", f.name.name),
            "declared again",
        ) {
            return;
        }
        let mut params = Vec::new();
        let mut seen = BTreeSet::new();
        let enums = self.enum_values.clone();
        for (name, ty, default) in &f.params {
            if let Some(name) = name.as_ref().filter(|n| !seen.insert(n.name.as_str())) {
                self.report(
                    Diagnostic::new(codes::E0702, format!("parameter `{}` is given twice", name.name))
                        .at(name.span, "repeated parameter"),
                );
            }
            if let Some(ty) = self.resolve_type(file, ty) {
                let default = default.as_ref().map(|e| {
                    let env = super::expr::ExprEnv {
                        columns: None,
                        entity: &f.name.name,
                        context: None,
                        params: false,
                        value: None,
                        enums: &enums,
                        what: "a parameter default",
                    };
                    let hint = self.value_type(&ty);
                    super::expr::lower(&env, e, Some(&hint), &mut self.diagnostics).expr
                });
                let name = name.as_ref().map(|n| n.name.clone()).unwrap_or_default();
                params.push(ir::FunctionParam { name, ty, default });
            }
        }
        let returns = if f.returns.name.name == "trigger" && f.returns.args.is_empty() {
            ir::FunctionReturns::Trigger
        } else {
            match self.resolve_type(file, &f.returns) {
                Some(ty) => ir::FunctionReturns::Value { ty },
                None => return,
            }
        };
        let mut bodies = BTreeMap::new();
        for (backend, body) in &f.bodies {
            let key = match backend {
                None => "any".to_string(),
                Some(b) if BACKENDS.contains(&b.name.as_str()) => b.name.clone(),
                Some(b) => {
                    self.report(
                        Diagnostic::new(codes::E0702, format!("`{}` is not a backend", b.name))
                            .at(b.span, "expected postgres, mysql, sqlite or mongodb"),
                    );
                    continue;
                }
            };
            if bodies.insert(key.clone(), body.value.clone()).is_some() {
                self.report(Diagnostic::new(codes::E0702, format!("two `{key}` bodies")).at(body.span, "given again"));
            }
        }
        if f.bodies.is_empty() {
            self.report(
                Diagnostic::new(codes::E0702, format!("function `{}` has no body", f.name.name))
                    .at(f.name.span, "empty function")
                    .help("write `sql \"…\"` (every backend) or `sql postgres \"…\"`"),
            );
        }
        self.report(
            Diagnostic::new(
                codes::W0102,
                format!("function `{}` is raw SQL, passed to the database unchecked", f.name.name),
            )
            .at(f.name.span, "not type-checked, not portable"),
        );
        self.ir.functions.push(ir::Function {
            id,
            name: f.name.name.clone(),
            params,
            returns,
            language: f.language.name.clone(),
            bodies,
            volatility: match f.volatility.as_ref().map(|v| v.name.as_str()) {
                Some("immutable") => Some(ir::Volatility::Immutable),
                Some("stable") => Some(ir::Volatility::Stable),
                _ => None,
            },
            strict: f.strict,
            security_definer: f.security_definer,
            search_path: f.search_path.as_ref().map(|s| s.value.clone()),
            revoke_public: false,
            doc: doc(&f.docs),
        });
    }

    pub(super) fn lower_trigger(&mut self, t: &ast::Trigger) {
        if !self.known_entity(&t.entity) {
            return;
        }
        let id = format!("trigger:{}.{}", t.entity.name, t.name.name);
        let duplicate = || format!("`{}` has two triggers named `{}`", t.entity.name, t.name.name);
        if !self.claim_id(&id, t.name.span, duplicate, "declared again") {
            return;
        }
        let function = self.ir.functions.iter().find(|f| f.name == t.function.name);
        match function {
            None if BUILT_IN_TRIGGER_FUNCTIONS.contains(&t.function.name.as_str()) => {}
            None => {
                let mut d = Diagnostic::new(codes::E0110, format!("unknown function `{}`", t.function.name))
                    .at(t.function.span, "no such function");
                d = match did_you_mean(&t.function.name, self.ir.functions.iter().map(|f| f.name.as_str())) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help(format!(
                        "declare it: `function {}() returns trigger language plpgsql {{ sql \"…\" }}`",
                        t.function.name
                    )),
                };
                self.report(d);
                return;
            }
            Some(f) if f.returns != ir::FunctionReturns::Trigger => {
                self.report(
                    Diagnostic::new(codes::E0702, format!("`{}` does not return `trigger`", t.function.name))
                        .at(t.function.span, "not a trigger function")
                        .help("a trigger executes a function declared `returns trigger`"),
                );
                return;
            }
            Some(_) => {}
        }
        if t.timing == ast::TriggerTiming::InsteadOf {
            self.report(
                Diagnostic::new(codes::E0702, "`instead of` triggers belong on views, not entities")
                    .at(t.span, "use before or after")
                    .help("write `before …` to change or skip the write"),
            );
            return;
        }
        let mut events: Vec<ir::TriggerEvent> = t
            .events
            .iter()
            .map(|e| match e {
                ast::TriggerEvent::Insert => ir::TriggerEvent::Insert,
                ast::TriggerEvent::Update => ir::TriggerEvent::Update,
                ast::TriggerEvent::Delete => ir::TriggerEvent::Delete,
            })
            .collect();
        events.sort();
        if events.windows(2).any(|w| w[0] == w[1]) {
            self.report(Diagnostic::new(codes::E0702, "an event is listed twice").at(t.span, "repeated event"));
            events.dedup();
        }
        let timing = match t.timing {
            ast::TriggerTiming::Before => ir::TriggerTiming::Before,
            _ => ir::TriggerTiming::After,
        };
        self.ir.triggers.push(ir::Trigger {
            id,
            name: t.name.name.clone(),
            entity: t.entity.name.clone(),
            timing,
            events,
            for_each_row: t.for_each_row.unwrap_or(true),
            function: t.function.name.clone(),
            arguments: t.arguments.iter().map(|a| a.value.clone()).collect(),
            doc: doc(&t.docs),
        });
    }

    pub(super) fn lower_aggregate(&mut self, file: FileId, a: &ast::Aggregate) {
        let id = format!("aggregate:{}", a.name.name);
        if !self.claim_id(
            &id,
            a.name.span,
            || format!("aggregate `{}` is declared twice", a.name.name),
            "declared again",
        ) {
            return;
        }
        if self.ir.functions.iter().any(|f| f.name == a.name.name) {
            self.report(
                Diagnostic::new(codes::E0100, format!("`{}` is both a function and an aggregate", a.name.name))
                    .at(a.name.span, "a function has this name"),
            );
            return;
        }
        let params: Vec<ir::Type> = a.params.iter().filter_map(|t| self.resolve_type(file, t)).collect();
        let Some(state) = self.resolve_type(file, &a.state) else { return };
        if params.len() != a.params.len() {
            return;
        }
        // step(state, values…) returns the state; final(state) the result.
        let mut stepped = vec![state.clone()];
        stepped.extend(params.iter().cloned());
        if !self.aggregate_function(&a.step, &stepped, Some(&state), "step") {
            return;
        }
        if let Some(f) = &a.final_function {
            if !self.aggregate_function(f, std::slice::from_ref(&state), None, "final") {
                return;
            }
        }
        self.ir.aggregates.push(ir::Aggregate {
            id,
            name: a.name.name.clone(),
            params,
            state,
            step: a.step.name.clone(),
            final_function: a.final_function.as_ref().map(|f| f.name.clone()),
            initial: a.initial.as_ref().map(|s| s.value.clone()),
            doc: doc(&a.docs),
        });
    }

    /// Whether `name` is a declared function taking `params` (and returning
    /// `returns`, when given); reports E0110 or E0702 when not.
    fn aggregate_function(
        &mut self,
        name: &ast::Ident,
        params: &[ir::Type],
        returns: Option<&ir::Type>,
        role: &str,
    ) -> bool {
        let Some(f) = self.ir.functions.iter().find(|f| f.name == name.name) else {
            let mut d = Diagnostic::new(codes::E0110, format!("unknown function `{}`", name.name))
                .at(name.span, "no such function");
            if let Some(s) = did_you_mean(&name.name, self.ir.functions.iter().map(|f| f.name.as_str())) {
                d = d.help(format!("did you mean `{s}`?"));
            }
            self.report(d);
            return false;
        };
        let takes: Vec<&ir::Type> = f.params.iter().map(|p| &p.ty).collect();
        let gives = match &f.returns {
            ir::FunctionReturns::Value { ty } => Some(ty),
            ir::FunctionReturns::Trigger => None,
        };
        let fits = takes.len() == params.len()
            && takes.iter().zip(params).all(|(a, b)| *a == b)
            && returns.is_none_or(|r| gives == Some(r));
        if !fits {
            let expected = match role {
                "step" => "the state and each aggregated value, returning the state",
                _ => "the state",
            };
            self.report(
                Diagnostic::new(codes::E0702, format!("`{}` cannot be the aggregate's {role} function", name.name))
                    .at(name.span, "its parameters or result do not fit")
                    .help(format!("a {role} function takes {expected}")),
            );
        }
        fits
    }
}

/// PostgreSQL's own trigger functions (in `pg_catalog`), which a trigger
/// may execute without declaring them; they read their arguments.
pub const BUILT_IN_TRIGGER_FUNCTIONS: &[&str] =
    &["tsvector_update_trigger", "tsvector_update_trigger_column", "suppress_redundant_updates_trigger"];
