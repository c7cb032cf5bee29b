//! AST → IR: the driver of semantic analysis.
//!
//! Runs the phases in the order their inputs need: symbols and imports, enums,
//! context values, entity fields (with patterns expanded; unapplied patterns
//! checked), relations (foreign key fields and navigation names), entity
//! attributes (keys, indexes, checks — which may name relation fields), type
//! aliases, then roles, grants, policies, views, functions, triggers and queries. Every phase reports and goes on, so
//! one compile lists every problem. The result is sorted for determinism.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::entity::EntityBuild;
use super::expr::ExprEnv;
use super::ir::{self, Ir, SourceMap, Type};
use super::resolve::{Symbols, Unit};
use super::types::{self, ValueType};
use crate::diagnostics::{codes, did_you_mean, Diagnostic, FileId, Span};
use crate::syntax::ast::{self, Declaration};

/// Backend names a per-backend body (views, functions) may be written for.
pub(super) const BACKENDS: &[&str] = &["postgres", "mysql", "sqlite", "mongodb"];

pub struct Analysis {
    pub ir: Ir,
    pub source_map: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

pub fn analyze(units: &[Unit]) -> Analysis {
    let mut diagnostics = Vec::new();
    let symbols = Symbols::collect(units, &mut diagnostics);
    let mut analyzer = Analyzer {
        units,
        symbols,
        diagnostics,
        ir: Ir::default(),
        source_map: SourceMap::default(),
        enum_values: Rc::default(),
        domain_bases: BTreeMap::new(),
        circular_domains: std::collections::BTreeSet::new(),
        used_domains: BTreeMap::new(),
        context: BTreeMap::new(),
        entities: BTreeMap::new(),
    };
    analyzer.run();
    let mut diagnostics = std::mem::take(&mut analyzer.diagnostics);
    diagnostics.extend(analyzer.symbols.unused_imports());
    dedup(&mut diagnostics);
    Analysis { ir: analyzer.ir, source_map: analyzer.source_map, diagnostics }
}

/// A pattern applied to many entities reports a flaw in its own body once.
fn dedup(diagnostics: &mut Vec<Diagnostic>) {
    let mut seen = std::collections::HashSet::new();
    diagnostics.retain(|d| {
        let span = d.primary_span().map(|s| (s.file.0, s.start, s.end));
        seen.insert((d.code, d.message.clone(), span))
    });
}

pub(super) struct Analyzer<'a> {
    pub units: &'a [Unit<'a>],
    pub symbols: Symbols<'a>,
    pub diagnostics: Vec<Diagnostic>,
    pub ir: Ir,
    pub source_map: SourceMap,
    /// Enum name → its values, for expressions (shared: every expression
    /// environment holds it).
    pub enum_values: Rc<BTreeMap<String, Vec<String>>>,
    /// Type alias name → its base type.
    pub domain_bases: BTreeMap<String, Type>,
    /// Aliases already reported as circular or too deep (reported once).
    pub circular_domains: std::collections::BTreeSet<String>,
    /// Aliases some field uses, with their declarations (emitted as domains).
    pub used_domains: BTreeMap<String, (&'a ast::TypeAlias, FileId)>,
    pub context: BTreeMap<String, (Type, ValueType)>,
    pub entities: BTreeMap<String, EntityBuild<'a>>,
}

impl<'a> Analyzer<'a> {
    fn run(&mut self) {
        self.lower_enums();
        self.lower_context();
        self.lower_entities();
        self.check_unapplied_patterns();
        self.lower_relations();
        self.resolve_denormalized();
        self.finish_entities();
        self.live_uniques();
        self.lower_domains();
        self.lower_roles();
        for unit in self.units {
            for declaration in &unit.ast.declarations {
                match declaration {
                    Declaration::Allow(a) => self.lower_allow(a),
                    Declaration::Policy(p) => self.lower_policy(p),
                    Declaration::Workload(w) => {
                        for q in &w.queries {
                            self.lower_query(q);
                        }
                    }
                    Declaration::View(v) => self.lower_view(v),
                    Declaration::Function(f) => self.lower_function(unit.ast.file, f),
                    _ => {}
                }
            }
        }
        // Triggers and aggregates name functions, which may be declared anywhere.
        for (file, declaration) in self.declarations() {
            match declaration {
                Declaration::Trigger(t) => self.lower_trigger(t),
                Declaration::Aggregate(a) => self.lower_aggregate(file, a),
                _ => {}
            }
        }
        // Grants may name views and functions, declared anywhere.
        for (_, declaration) in self.declarations() {
            match declaration {
                Declaration::Grant(g) => self.lower_grant(g),
                Declaration::Revoke(r) => self.lower_revoke(r),
                _ => {}
            }
        }
        // Later phases read the builds; the finished entities move into the IR last.
        let builds = std::mem::take(&mut self.entities);
        self.ir.entities = builds.into_values().map(|b| b.entity).collect();
        self.sort();
        self.place();
    }

    pub fn declarations(&self) -> impl Iterator<Item = (FileId, &'a Declaration)> + 'a {
        let units = self.units;
        units.iter().flat_map(|u| u.ast.declarations.iter().map(move |d| (u.ast.file, d)))
    }

    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Records where the object `id` is declared; when it already was,
    /// reports E0100 with both places and returns false.
    pub fn claim_id(&mut self, id: &str, span: Span, message: impl FnOnce() -> String, label: &str) -> bool {
        if let Some(first) = self.source_map.get(id) {
            self.report(Diagnostic::new(codes::E0100, message()).at(span, label).also(first, "first declared here"));
            return false;
        }
        self.source_map.spans.insert(id.to_string(), span);
        true
    }

    fn sort(&mut self) {
        let ir = &mut self.ir;
        ir.enums.sort_by(|a, b| a.name.cmp(&b.name));
        ir.domains.sort_by(|a, b| a.name.cmp(&b.name));
        ir.entities.sort_by(|a, b| a.name.cmp(&b.name));
        ir.relations.sort_by(|a, b| a.id.cmp(&b.id));
        ir.context.sort_by(|a, b| a.name.cmp(&b.name));
        ir.roles.sort_by(|a, b| a.name.cmp(&b.name));
        ir.grants.sort();
        ir.allows.sort();
        ir.allows.dedup();
        ir.grants.dedup();
        ir.object_grants.sort();
        ir.object_grants.dedup();
        ir.policies.sort_by(|a, b| a.id.cmp(&b.id));
        ir.views.sort_by(|a, b| a.name.cmp(&b.name));
        ir.functions.sort_by(|a, b| a.name.cmp(&b.name));
        ir.aggregates.sort_by(|a, b| a.name.cmp(&b.name));
        ir.triggers.sort_by(|a, b| a.id.cmp(&b.id));
        ir.queries.sort_by(|a, b| a.name.cmp(&b.name));
    }

    // ------------------------------------------------------------ types

    /// Resolves a written type as seen from `file`. `None` after reporting.
    pub fn resolve_type(&mut self, file: FileId, ty: &ast::TypeRef) -> Option<Type> {
        let name = ty.name.name.as_str();
        if let Some(raw) = &ty.raw {
            self.report(
                Diagnostic::new(codes::W0102, format!("type `{raw}` is raw SQL, passed to the database unchecked"))
                    .at(ty.span, "not portable, not type-checked")
                    .help("prefer a language type; keep `sql(\"…\")` for what the language has no name for"),
            );
            let base = Type::Sql { sql: raw.clone() };
            return Some((0..ty.array_dims).fold(base, |t, _| Type::Array { element: Box::new(t) }));
        }
        let base = match types::builtin(name, &ty.args) {
            Err(message) => {
                self.report(Diagnostic::new(codes::E0204, message).at(ty.span, "invalid type arguments"));
                return None;
            }
            Ok(Some(t)) => t,
            Ok(None) => {
                let known = self.symbols.enums.contains_key(name) || self.symbols.alias(file, name).is_some();
                if known && !ty.args.is_empty() {
                    self.report(
                        Diagnostic::new(codes::E0204, format!("`{name}` takes no arguments"))
                            .at(ty.span, "remove the arguments"),
                    );
                    return None;
                }
                if self.symbols.enums.contains_key(name) {
                    Type::Enum { name: name.to_string() }
                } else if let Some(found) = self.symbols.alias(file, name) {
                    self.used_domains.insert(name.to_string(), (found.declared.node, found.declared.file));
                    Type::Domain { name: name.to_string() }
                } else if self.symbols.entities.contains_key(name) {
                    self.report(
                        Diagnostic::new(codes::E0101, format!("`{name}` is an entity, not a field type"))
                            .at(ty.name.span, "an entity cannot be a column type")
                            .help(format!("declare a relation instead: `relation Owner.field -> {name}`")),
                    );
                    return None;
                } else {
                    let mut d = Diagnostic::new(codes::E0101, format!("unknown type `{name}`"))
                        .at(ty.name.span, "not a known type");
                    if let Some(module) = self.symbols.std_module_having(name, false) {
                        d = d.help(format!("`{name}` is in the standard library: add `use {module}::{name}`"));
                    } else if let Some(s) = did_you_mean(name, self.symbols.visible_type_names(file)) {
                        d = d.help(format!("did you mean `{s}`?"));
                    } else if let Some(ours) = types::foreign_name(name) {
                        d = d.help(format!("schemac spells this `{ours}`"));
                    }
                    self.report(d);
                    return None;
                }
            }
        };
        let mut t = base;
        for _ in 0..ty.array_dims {
            t = Type::Array { element: Box::new(t) };
        }
        Some(t)
    }

    pub fn value_type(&self, ty: &Type) -> ValueType {
        ValueType::of(ty, &|name| self.domain_bases.get(name).cloned())
    }

    /// The base type of an alias: a built-in type, or another alias (whose
    /// own check then still applies). Chains are resolved on demand and must
    /// end in a built-in type.
    fn domain_base(&mut self, file: FileId, alias: &'a ast::TypeAlias, chain: &mut Vec<String>) -> Option<Type> {
        if let Some(t) = self.domain_bases.get(&alias.name.name) {
            return Some(t.clone());
        }
        if self.circular_domains.contains(&alias.name.name) {
            return None;
        }
        if chain.contains(&alias.name.name) || alias.target.name.name == alias.name.name {
            chain.push(alias.name.name.clone());
            self.circular_domains.extend(chain.iter().cloned());
            self.report(
                Diagnostic::new(codes::E0101, format!("type aliases are defined in a circle: {}", chain.join(" → ")))
                    .at(alias.target.span, "circular alias"),
            );
            return None;
        }
        if chain.len() > 64 {
            self.circular_domains.extend(chain.iter().cloned());
            self.report(
                Diagnostic::new(codes::E0101, format!("type `{}` is more than 64 aliases deep", chain[0]))
                    .at(alias.target.span, "alias chain too long"),
            );
            return None;
        }
        if alias.target.optional {
            self.report(
                Diagnostic::new(codes::E0204, "a type alias cannot be optional")
                    .at(alias.target.span, "remove the `?`")
                    .help("write `?` on the fields that use the alias"),
            );
        }
        let base = self.resolve_type(file, &alias.target)?;
        if let Type::Domain { name } = &base {
            let (inner, inner_file) = self.used_domains.get(name).copied()?;
            chain.push(alias.name.name.clone());
            let inner_base = self.domain_base(inner_file, inner, chain);
            chain.pop();
            inner_base?;
        }
        self.domain_bases.insert(alias.name.name.clone(), base.clone());
        Some(base)
    }

    fn lower_domains(&mut self) {
        // Aliases of the project are always emitted; standard ones when used
        // (directly or as the base of another alias).
        let mut wanted: BTreeMap<String, (&'a ast::TypeAlias, FileId)> = BTreeMap::new();
        for (name, d) in &self.symbols.project.aliases {
            wanted.insert(name.to_string(), (d.node, d.file));
        }
        let mut done: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        loop {
            for (name, entry) in &self.used_domains {
                wanted.entry(name.clone()).or_insert(*entry);
            }
            let Some((name, (alias, file))) =
                wanted.iter().find(|(n, _)| !done.contains(*n)).map(|(n, e)| (n.clone(), *e))
            else {
                break;
            };
            done.insert(name.clone());
            self.not_reserved(&alias.name);
            let Some(base) = self.domain_base(file, alias, &mut Vec::new()) else { continue };
            let value = self.value_type(&base);
            let check = alias.check.as_ref().map(|c| {
                let enums = self.enum_values.clone();
                let env = ExprEnv {
                    columns: None,
                    entity: &name,
                    context: None,
                    params: false,
                    value: Some(value.clone()),
                    enums: &enums,
                    what: "a type check",
                };
                self.stable_condition(&env, c)
            });
            let shape = alias.shape.as_ref().and_then(|s| self.lower_shape(file, &base, s));
            let id = format!("type:{name}");
            self.source_map.spans.insert(id.clone(), alias.name.span);
            self.ir.domains.push(ir::Domain { id, name, base, shape, check, doc: doc(&alias.docs) });
        }
    }

    // ------------------------------------------------------------ enums, context

    fn lower_enums(&mut self) {
        let enums: Vec<_> = self.symbols.enums.values().copied().collect();
        for declared in enums {
            let e = declared.node;
            let mut values: Vec<String> = Vec::new();
            for v in &e.values {
                if values.contains(&v.name.name) {
                    let first =
                        e.values.iter().find(|x| x.name.name == v.name.name).map_or(v.name.span, |x| x.name.span);
                    self.report(
                        Diagnostic::new(codes::E0106, format!("enum `{}` lists `{}` twice", e.name.name, v.name.name))
                            .at(v.name.span, "repeated value")
                            .also(first, "first listed here"),
                    );
                    continue;
                }
                self.not_reserved(&v.name);
                values.push(v.name.name.clone());
            }
            if values.is_empty() {
                self.report(
                    Diagnostic::new(codes::E0107, format!("enum `{}` has no values", e.name.name))
                        .at(e.name.span, "empty enum")
                        .help("list its values: `enum Status { draft, published }`"),
                );
            }
            self.naming(&e.name, Case::Pascal, "enum");
            self.not_reserved(&e.name);
            let id = format!("enum:{}", e.name.name);
            self.source_map.spans.insert(id.clone(), e.name.span);
            Rc::make_mut(&mut self.enum_values).insert(e.name.name.clone(), values.clone());
            self.ir.enums.push(ir::Enum { id, name: e.name.name.clone(), values, doc: doc(&e.docs) });
        }
    }

    fn lower_context(&mut self) {
        let mut seen: BTreeMap<String, Span> = BTreeMap::new();
        for (file, declaration) in self.declarations() {
            let Declaration::Context(c) = declaration else { continue };
            for field in &c.fields {
                if let Some(first) = seen.get(&field.name.name) {
                    self.report(
                        Diagnostic::new(codes::E0106, format!("context value `{}` is declared twice", field.name.name))
                            .at(field.name.span, "declared again")
                            .also(*first, "first declared here"),
                    );
                    continue;
                }
                seen.insert(field.name.name.clone(), field.name.span);
                if field.default.is_some() || !field.modifiers.is_empty() {
                    self.report(
                        Diagnostic::new(codes::E0111, "context values have a name and a type only")
                            .at(field.span, "remove the default and modifiers"),
                    );
                }
                let Some(ty) = self.resolve_type(file, &field.ty) else { continue };
                if let Type::Domain { name } = &ty {
                    if let Some((alias, afile)) = self.used_domains.get(name).copied() {
                        self.domain_base(afile, alias, &mut Vec::new());
                    }
                }
                let value = self.value_type(&ty);
                self.context.insert(field.name.name.clone(), (ty.clone(), value));
                self.ir.context.push(ir::ContextValue {
                    name: field.name.name.clone(),
                    ty,
                    nullable: field.ty.optional,
                });
            }
        }
    }

    // ------------------------------------------------------------ names

    /// Operator words cannot name things: `x in (…)` would be ambiguous.
    pub fn not_reserved(&mut self, ident: &ast::Ident) {
        const RESERVED: &[&str] =
            &["and", "or", "not", "in", "is", "null", "true", "false", "between", "like", "ilike"];
        if RESERVED.contains(&ident.name.as_str()) {
            self.report(
                Diagnostic::new(codes::E0111, format!("`{}` is a reserved word and cannot be a name", ident.name))
                    .at(ident.span, "reserved by the expression language")
                    .help("choose another name, e.g. `is_active` instead of `is`"),
            );
        }
    }

    pub fn naming(&mut self, ident: &ast::Ident, case: Case, kind: &str) {
        let ok = match case {
            Case::Pascal => {
                ident.name.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && !ident.name.contains('_')
            }
            Case::Snake => ident.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
        };
        if !ok {
            let (style, example) = match case {
                Case::Pascal => ("PascalCase", "OrderItem"),
                Case::Snake => ("snake_case", "created_at"),
            };
            self.report(
                Diagnostic::new(codes::W0100, format!("{kind} `{}` should be {style}", ident.name))
                    .at(ident.span, format!("{kind} names are {style}, like `{example}`")),
            );
        }
    }
}

pub enum Case {
    Pascal,
    Snake,
}

pub fn doc(lines: &[String]) -> Option<String> {
    if lines.is_empty() {
        None
    } else {
        Some(lines.join("\n"))
    }
}

/// `OrderItem` → `order_item`.
pub fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let chars: Vec<char> = name.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower = i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if i > 0 && (prev_lower || (next_lower && chars[i - 1].is_uppercase())) {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(*c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn entity_names_become_snake_case_tables() {
        assert_eq!(snake_case("OrderItem"), "order_item");
        assert_eq!(snake_case("User"), "user");
        assert_eq!(snake_case("HTTPRequest"), "http_request");
        assert_eq!(snake_case("Order2Item"), "order2_item");
    }
}
