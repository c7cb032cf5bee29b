//! Pattern application: `apply timestamps, tenant_scoped` copies a pattern's
//! members into the entity, with arguments substituted for parameters, nested
//! `apply` expanded, cycles refused, and every copied member tagged with its
//! pattern (provenance) and the `apply` line (so diagnostics point there).

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::entity::{EntityBuild, PatternRelation, Pending};
use super::ir::Origin;
use super::lower::Analyzer;
use crate::diagnostics::{codes, did_you_mean, Diagnostic, FileId, Span};
use crate::syntax::ast::{self, ExprKind, Member};

impl<'a> Analyzer<'a> {
    /// A project pattern nothing applies is still checked: its field types,
    /// nested `apply` lines and behaviour names (on a scratch entity, so the
    /// mistakes surface before the first entity uses it).
    pub(super) fn check_unapplied_patterns(&mut self) {
        let applied: std::collections::BTreeSet<String> =
            self.entities.values().flat_map(|b| b.entity.patterns.iter().cloned()).collect();
        // Without arguments for every parameter there is nothing honest to
        // check the body with; such a pattern is checked where it is applied.
        let unapplied: Vec<_> = self
            .symbols
            .project
            .patterns
            .values()
            .filter(|d| !applied.contains(&d.node.name.name))
            .filter(|d| d.node.params.iter().flatten().all(|p| p.default.is_some()))
            .copied()
            .collect();
        for declared in unapplied {
            let pattern = declared.node;
            let usage = ast::PatternUse { name: pattern.name.clone(), args: None, span: pattern.name.span };
            let mut scratch = EntityBuild::new(&pattern.name.name, pattern.name.span, None, Origin::Declared);
            self.apply_pattern(&mut scratch, &usage, declared.file, pattern.name.span, &mut Vec::new());
            for pending in &scratch.pending {
                if let Member::Behaviour(b) = &*pending.member {
                    if !super::ir::BehaviourKind::ALL.iter().any(|(n, _)| *n == b.name.name) {
                        self.report(
                            Diagnostic::new(codes::E0403, format!("unknown behaviour `{}`", b.name.name))
                                .at(b.name.span, "not a compiler behaviour")
                                .note(super::behaviours::LIST),
                        );
                    }
                }
            }
        }
    }

    pub(super) fn apply_pattern(
        &mut self,
        build: &mut EntityBuild<'a>,
        pattern_use: &ast::PatternUse,
        file: FileId,
        blame: Span,
        stack: &mut Vec<String>,
    ) {
        let name = &pattern_use.name.name;
        let Some(found) = self.symbols.pattern(file, name) else {
            let mut d = Diagnostic::new(codes::E0104, format!("unknown pattern `{name}`"))
                .at(pattern_use.name.span, "not a known pattern");
            if let Some(module) = self.symbols.std_module_having(name, true) {
                d = d.help(format!("`{name}` is in the standard library: add `use {module}::{name}`"));
            } else if let Some(s) = did_you_mean(name, self.symbols.visible_pattern_names(file)) {
                d = d.help(format!("did you mean `{s}`?"));
            }
            self.report(d);
            return;
        };
        if let Some(position) = stack.iter().position(|p| p == name) {
            let cycle: Vec<&str> = stack[position..].iter().map(String::as_str).chain([name.as_str()]).collect();
            self.report(
                Diagnostic::new(codes::E0400, format!("patterns apply each other in a cycle: {}", cycle.join(" → ")))
                    .at(pattern_use.name.span, format!("`{name}` is already being applied"))
                    .also(blame, "starting from here")
                    .help("remove one of the `apply` lines that close the cycle"),
            );
            return;
        }
        if build.entity.patterns.contains(name) {
            self.report(
                Diagnostic::new(codes::E0401, format!("pattern `{name}` is applied to `{}` twice", build.entity.name))
                    .at(pattern_use.name.span, "applied again")
                    .help("apply each pattern once"),
            );
            return;
        }
        let pattern = found.declared.node;
        let Some(arguments) = self.bind_arguments(pattern, pattern_use) else { return };
        build.entity.patterns.push(name.clone());
        stack.push(name.clone());
        let origin = Origin::Pattern { pattern: name.clone() };
        let mut members = Vec::new();
        for member in &pattern.members {
            // Without arguments the members are the pattern's own, as written.
            let member: Cow<'a, Member> = if arguments.is_empty() {
                Cow::Borrowed(member)
            } else {
                let mut member = member.clone();
                substitute_member(&mut member, &arguments);
                Cow::Owned(member)
            };
            let relation = match member {
                Cow::Owned(Member::Relation(relation)) => relation,
                Cow::Borrowed(Member::Relation(relation)) => relation.clone(),
                member => {
                    members.push(Pending {
                        member,
                        file: found.declared.file,
                        origin: origin.clone(),
                        blame: Some(blame),
                        field: None,
                    });
                    continue;
                }
            };
            build.pattern_relations.push(PatternRelation {
                relation,
                file: found.declared.file,
                pattern: name.clone(),
                blame,
            });
        }
        self.lower_members(build, members, stack);
        stack.pop();
    }

    /// Parameter → argument expression, defaults filled in. `None` after reporting.
    fn bind_arguments(
        &mut self,
        pattern: &ast::Pattern,
        pattern_use: &ast::PatternUse,
    ) -> Option<BTreeMap<String, ast::Expr>> {
        let params = pattern.params.as_deref().unwrap_or(&[]);
        let args = pattern_use.args.as_deref().unwrap_or(&[]);
        let mut bound = BTreeMap::new();
        let mut ok = true;
        for arg in args {
            if !params.iter().any(|p| p.name.name == arg.name.name) {
                ok = false;
                let mut d = Diagnostic::new(
                    codes::E0402,
                    format!("pattern `{}` has no parameter `{}`", pattern.name.name, arg.name.name),
                )
                .at(arg.name.span, "unknown parameter");
                d = match did_you_mean(&arg.name.name, params.iter().map(|p| p.name.name.as_str())) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None if params.is_empty() => d.help(format!("`{}` takes no arguments", pattern.name.name)),
                    None => d.note(format!(
                        "its parameters are {}",
                        params.iter().map(|p| format!("`{}`", p.name.name)).collect::<Vec<_>>().join(", ")
                    )),
                };
                self.report(d);
            } else if bound.insert(arg.name.name.clone(), arg.value.clone()).is_some() {
                ok = false;
                self.report(
                    Diagnostic::new(codes::E0402, format!("argument `{}` is given twice", arg.name.name))
                        .at(arg.name.span, "given again"),
                );
            }
        }
        for param in params {
            if bound.contains_key(&param.name.name) {
                continue;
            }
            match &param.default {
                Some(default) => {
                    bound.insert(param.name.name.clone(), default.clone());
                }
                None => {
                    ok = false;
                    self.report(
                        Diagnostic::new(
                            codes::E0402,
                            format!("pattern `{}` needs an argument `{}`", pattern.name.name, param.name.name),
                        )
                        .at(pattern_use.span, "missing argument")
                        .also(param.name.span, "parameter declared here")
                        .help(format!("write `apply {}({}: …)`", pattern.name.name, param.name.name)),
                    );
                }
            }
        }
        ok.then_some(bound)
    }
}

/// Replaces every bare use of a parameter name by its argument.
fn substitute_member(member: &mut Member, arguments: &BTreeMap<String, ast::Expr>) {
    if arguments.is_empty() {
        return;
    }
    let each = |e: &mut ast::Expr| substitute(e, arguments);
    match member {
        Member::Field(f) => {
            if let Some(ast::DefaultValue::Expr(e) | ast::DefaultValue::Generated(e)) = &mut f.default {
                each(e);
            }
            for m in &mut f.modifiers {
                if let ast::Modifier::Check(e) = m {
                    each(e);
                }
            }
        }
        Member::Unique(u) => u.predicate.iter_mut().for_each(each),
        Member::Index(i) => {
            i.keys.iter_mut().for_each(|k| substitute(&mut k.expr, arguments));
            i.predicate.iter_mut().for_each(each);
        }
        Member::Check(c) => each(&mut c.expr),
        Member::Behaviour(b) => b.args.iter_mut().flatten().for_each(each),
        Member::Apply(a) => {
            for p in &mut a.patterns {
                p.args.iter_mut().flatten().for_each(|arg| substitute(&mut arg.value, arguments));
            }
        }
        _ => {}
    }
}

fn substitute(expr: &mut ast::Expr, arguments: &BTreeMap<String, ast::Expr>) {
    if let ExprKind::Path(segments) = &expr.kind {
        if let [single] = segments.as_slice() {
            if let Some(argument) = arguments.get(&single.name) {
                let span = expr.span;
                *expr = argument.clone();
                expr.span = span;
            }
        }
        return;
    }
    let each = |e: &mut ast::Expr| substitute(e, arguments);
    match &mut expr.kind {
        ExprKind::Call(_, args) | ExprKind::Array(args) => args.iter_mut().for_each(each),
        ExprKind::Object(members) => members.iter_mut().for_each(|(_, e)| each(e)),
        ExprKind::Unary(_, e) | ExprKind::Paren(e) | ExprKind::IsNull { expr: e, .. } => each(e),
        ExprKind::Binary(_, l, r) => {
            each(l);
            each(r);
        }
        ExprKind::InList { expr: e, list, .. } => {
            each(e);
            list.iter_mut().for_each(each);
        }
        ExprKind::Between { expr: e, low, high, .. } => {
            each(e);
            each(low);
            each(high);
        }
        _ => {}
    }
}
