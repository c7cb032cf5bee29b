//! Entities: fields first (with patterns expanded), attributes last (keys,
//! uniques, indexes, checks, search, partitioning, volume, behaviours) — after
//! relations have added their foreign key fields, so attributes may name them.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use super::expr::{self, ColumnRef, ExprEnv};
use super::ir::{self, Origin, Type};
use super::lower::{doc, snake_case, Analyzer, Case};
use super::types::ValueType;
use crate::diagnostics::{codes, did_you_mean, Diagnostic, FileId, Span};
use crate::syntax::ast::{self, DefaultValue, Member, Modifier};

/// An entity under construction.
pub struct EntityBuild<'a> {
    pub entity: ir::Entity,
    pub name_span: Span,
    /// Attributes waiting for the relations phase to finish.
    pub pending: Vec<Pending<'a>>,
    /// Where each field of `entity.fields` was declared, in the same order
    /// (fields are only ever pushed while the entity is built).
    pub field_spans: Vec<Span>,
    /// Fields whose type did not resolve: referenced silently, never re-reported.
    pub broken_fields: BTreeSet<String>,
    /// Navigation names: relation fields on this entity.
    pub navigations: BTreeMap<String, Navigation>,
    /// `primary` written on fields.
    pub primary_fields: Vec<(String, Span)>,
    /// Relations written inside applied patterns (`relation Self.tenant -> …`).
    pub pattern_relations: Vec<PatternRelation>,
    /// Set for junction entities, whose key is their foreign keys.
    pub implicit_key: Option<Vec<String>>,
    /// `denormalized from navigation.field` on fields, resolved once the
    /// relations exist: (field, navigation, source field).
    pub denormalized: Vec<(String, ast::Ident, ast::Ident)>,
    /// [`EntityBuild::columns`] as the entity was finished: what policies,
    /// queries and views on it may name (shared, not rebuilt for each).
    pub finished_columns: Rc<BTreeMap<String, ColumnRef>>,
}

/// A member and where it came from: the file whose names it uses, its origin,
/// and the `apply` line to blame when it clashes with the entity. The member
/// is borrowed from the syntax tree unless it had to change (pattern
/// arguments substituted, or made from a field's modifier).
pub struct Pending<'a> {
    pub member: Cow<'a, Member>,
    pub file: FileId,
    pub origin: Origin,
    pub blame: Option<Span>,
    pub field: Option<String>,
}

pub struct PatternRelation {
    pub relation: ast::Relation,
    pub file: FileId,
    pub pattern: String,
    pub blame: Span,
}

pub struct Navigation {
    /// Foreign key columns on this entity; empty for a back reference.
    pub columns: Vec<String>,
    pub span: Span,
}

impl<'a> EntityBuild<'a> {
    pub fn new(name: &str, name_span: Span, docs: Option<String>, origin: Origin) -> EntityBuild<'a> {
        EntityBuild {
            entity: ir::Entity::new(name, &snake_case(name), docs, origin),
            name_span,
            pending: Vec::new(),
            field_spans: Vec::new(),
            broken_fields: BTreeSet::new(),
            navigations: BTreeMap::new(),
            primary_fields: Vec::new(),
            pattern_relations: Vec::new(),
            implicit_key: None,
            denormalized: Vec::new(),
            finished_columns: Rc::default(),
        }
    }

    /// What expressions on this entity may name: fields, and single-column
    /// relation fields (meaning their foreign key column).
    pub fn columns(&self, value_type: impl Fn(&Type) -> ValueType) -> BTreeMap<String, ColumnRef> {
        let mut columns: BTreeMap<String, ColumnRef> = self
            .entity
            .fields
            .iter()
            .map(|f| {
                let ty = if self.broken_fields.contains(&f.name) { ValueType::Unknown } else { value_type(&f.ty) };
                (f.name.clone(), ColumnRef { field: f.name.clone(), ty })
            })
            .collect();
        for (name, navigation) in &self.navigations {
            if let [column] = navigation.columns.as_slice() {
                if let Some(c) = columns.get(column).cloned() {
                    columns.entry(name.clone()).or_insert(c);
                }
            }
        }
        columns
    }

    /// Where the field `name` was declared, if the entity has it.
    pub fn field_span(&self, name: &str) -> Option<Span> {
        self.entity.fields.iter().position(|f| f.name == name).map(|i| self.field_spans[i])
    }

    /// Adds a field and where it was declared.
    pub fn push_field(&mut self, field: ir::Field, span: Span) {
        self.entity.fields.push(field);
        self.field_spans.push(span);
    }
}

impl<'a> Analyzer<'a> {
    pub(super) fn lower_entities(&mut self) {
        let declared: Vec<_> = self.symbols.entities.values().copied().collect();
        for d in declared {
            let e = d.node;
            self.naming(&e.name, Case::Pascal, "entity");
            let mut build = EntityBuild::new(&e.name.name, e.name.span, doc(&e.docs), Origin::Declared);
            self.source_map.spans.insert(build.entity.id.clone(), e.name.span);
            let members: Vec<Pending<'a>> = e
                .members
                .iter()
                .map(|m| Pending {
                    member: Cow::Borrowed(m),
                    file: d.file,
                    origin: Origin::Declared,
                    blame: None,
                    field: None,
                })
                .collect();
            self.lower_members(&mut build, members, &mut Vec::new());
            self.entities.insert(e.name.name.clone(), build);
        }
    }

    /// Lowers fields now, expands `apply`, and queues the rest for later.
    pub(super) fn lower_members(
        &mut self,
        build: &mut EntityBuild<'a>,
        members: Vec<Pending<'a>>,
        stack: &mut Vec<String>,
    ) {
        for pending in members {
            match &*pending.member {
                Member::Field(field) => self.lower_field(build, field, &pending),
                Member::Apply(apply) => {
                    // Where a pattern's members are blamed: its name on the
                    // entity's `apply` line (a nested apply keeps that place).
                    for pattern_use in &apply.patterns {
                        let blame = pending.blame.unwrap_or(pattern_use.span);
                        self.apply_pattern(build, pattern_use, pending.file, blame, stack);
                    }
                }
                Member::Behaviour(b)
                    if pending.origin == Origin::Declared && build.entity.origin == Origin::Declared =>
                {
                    self.report(
                        Diagnostic::new(
                            codes::E0404,
                            format!("behaviour `{}` can only come from a pattern", b.name.name),
                        )
                        .at(b.span, "not allowed in an entity")
                        .help("apply a pattern that has it, e.g. `apply timestamps` for `touch`"),
                    )
                }
                Member::Relation(r) => self.report(
                    Diagnostic::new(codes::E0404, "relations are declared at the top level")
                        .at(r.span, "not allowed inside an entity")
                        .help("move it out of the entity; inside a pattern, write `relation Self.field -> Target`"),
                ),
                _ => build.pending.push(pending),
            }
        }
    }

    fn lower_field(&mut self, build: &mut EntityBuild, field: &ast::Field, pending: &Pending) {
        let name = &field.name.name;
        let span = pending.blame.unwrap_or(field.name.span);
        if let Some(first) = build.field_span(name) {
            let d = match (&pending.origin, pending.blame) {
                (Origin::Pattern { pattern }, Some(apply)) => Diagnostic::new(
                    codes::E0401,
                    format!("pattern `{pattern}` adds field `{name}`, which `{}` already has", build.entity.name),
                )
                .at(apply, format!("`{pattern}` applied here"))
                .also(first, "the existing field")
                .help("rename the entity's field, or drop the pattern"),
                _ => Diagnostic::new(codes::E0106, format!("`{}` has two fields named `{name}`", build.entity.name))
                    .at(field.name.span, "declared again")
                    .also(first, "first declared here"),
            };
            self.report(d);
            return;
        }
        if pending.origin == Origin::Declared {
            self.naming(&field.name, Case::Snake, "field");
        }
        self.not_reserved(&field.name);
        let id = format!("field:{}.{name}", build.entity.name);
        self.source_map.spans.insert(id.clone(), span);
        let ty = match self.resolve_type(pending.file, &field.ty) {
            Some(ty) => ty,
            None => {
                build.broken_fields.insert(name.clone());
                Type::Text
            }
        };
        let broken = build.broken_fields.contains(name);
        let mut lowered = ir::Field {
            id,
            serial: false,
            name: name.clone(),
            column: name.clone(),
            ty: ty.clone(),
            nullable: field.ty.optional,
            default: None,
            identity: false,
            identity_always: false,
            generated: None,
            pii: None,
            doc: doc(&field.docs),
            renamed_from: None,
            denormalized_from: None,
            origin: pending.origin.clone(),
        };
        match &field.default {
            Some(DefaultValue::Identity(s) | DefaultValue::IdentityAlways(s) | DefaultValue::Serial(s)) => {
                let serial = matches!(field.default, Some(DefaultValue::Serial(_)));
                lowered.identity_always = matches!(field.default, Some(DefaultValue::IdentityAlways(_)));
                let what = if serial { "serial" } else { "identity" };
                if !matches!(ty, Type::SmallInt | Type::Int | Type::BigInt) && !broken {
                    self.report(
                        Diagnostic::new(
                            codes::E0206,
                            format!("`{what}` needs an integer field, `{name}` is `{}`", written_type(&field.ty)),
                        )
                        .at(*s, "not an integer field")
                        .help(format!("use `bigint = {what}`, or a uuid with `= uuid_v7()`")),
                    );
                }
                lowered.identity = !serial;
                lowered.serial = serial;
            }
            Some(DefaultValue::Generated(e)) => build.pending.push(Pending {
                member: Cow::Owned(Member::Check(ast::CheckAttr { name: None, expr: e.clone(), span: e.span })),
                file: pending.file,
                origin: pending.origin.clone(),
                blame: pending.blame,
                field: Some(format!("generated:{name}")),
            }),
            Some(DefaultValue::Expr(e)) if !broken => lowered.default = self.lower_default(build, field, e, &ty),
            _ => {}
        }
        for modifier in &field.modifiers {
            match modifier {
                Modifier::Primary(s) => build.primary_fields.push((name.clone(), *s)),
                Modifier::Unique(_) => build.entity.uniques.push(ir::Unique {
                    name: None,
                    columns: vec![name.clone()],
                    predicate: None,
                    origin: pending.origin.clone(),
                }),
                Modifier::Check(e) => build.pending.push(Pending {
                    member: Cow::Owned(Member::Check(ast::CheckAttr { name: None, expr: e.clone(), span: e.span })),
                    file: pending.file,
                    origin: pending.origin.clone(),
                    blame: pending.blame,
                    field: Some(name.clone()),
                }),
                Modifier::Pii(mode) => {
                    lowered.pii = match mode.name.as_str() {
                        "encrypt" => Some(ir::Pii::Encrypt),
                        "mask" => Some(ir::Pii::Mask),
                        "hash" => Some(ir::Pii::Hash),
                        other => {
                            let mut d = Diagnostic::new(codes::E0207, format!("`{other}` is not a pii protection"))
                                .at(mode.span, "expected encrypt, mask or hash");
                            if let Some(s) = did_you_mean(other, ["encrypt", "mask", "hash"]) {
                                d = d.help(format!("did you mean `{s}`?"));
                            }
                            self.report(d);
                            None
                        }
                    };
                    // Any scalar can be encrypted (as its text form); masking and
                    // keyed hashing only make sense for text.
                    let fits = match lowered.pii {
                        Some(ir::Pii::Encrypt) => !matches!(ty, Type::Array { .. }),
                        Some(_) => self.value_type(&ty).is_textual(),
                        None => true,
                    };
                    if !fits && !broken {
                        self.report(
                            Diagnostic::new(
                                codes::E0207,
                                format!(
                                    "pii({}) does not fit `{name}`, which is `{}`",
                                    mode.name,
                                    written_type(&field.ty)
                                ),
                            )
                            .at(mode.span, "mask and hash need text; encrypt needs a single value")
                            .help("use pii(encrypt) for non-text values"),
                        );
                    }
                }
                Modifier::RenamedFrom(old) => lowered.renamed_from = Some(old.name.clone()),
                Modifier::Column(column) => {
                    let taken = build.entity.fields.iter().find(|f| f.column == column.value && f.name != *name);
                    if let Some(other) = taken {
                        let other = other.name.clone();
                        self.report(
                            Diagnostic::new(
                                codes::E0106,
                                format!("`{other}` and `{name}` would both be the column `{}`", column.value),
                            )
                            .at(column.span, "a column name already in use"),
                        );
                    } else if storage_name_ok(self, &column.value, column.span, "column") {
                        lowered.column = column.value.clone();
                    }
                }
                Modifier::Denormalized(navigation, source) => {
                    build.denormalized.push((name.clone(), navigation.clone(), source.clone()))
                }
                Modifier::Doc(text) => {
                    lowered.doc = Some(match lowered.doc.take() {
                        Some(d) => format!("{d}\n{}", text.value),
                        None => text.value.clone(),
                    })
                }
            }
        }
        build.push_field(lowered, span);
    }

    fn lower_default(&mut self, build: &EntityBuild, field: &ast::Field, e: &ast::Expr, ty: &Type) -> Option<ir::Expr> {
        let target = self.value_type(ty);
        let enums = self.enum_values.clone();
        let env = ExprEnv {
            columns: None,
            entity: &build.entity.name,
            context: None,
            params: false,
            value: None,
            enums: &enums,
            what: "a default",
        };
        let before = self.diagnostics.len();
        let lowered = expr::lower(&env, e, Some(&target), &mut self.diagnostics);
        // Errors drop the default; a warning (raw SQL's W0102) does not.
        if self.diagnostics[before..].iter().any(Diagnostic::is_error) {
            return None;
        }
        if lowered.ty == ValueType::Null {
            if !field.ty.optional {
                self.report(
                    Diagnostic::new(codes::E0205, format!("`{}` is required but its default is null", field.name.name))
                        .at(e.span, "null default")
                        .also(field.ty.span, "required type (no `?`)")
                        .help(format!("make it optional (`{}?`) or give a real default", field.ty.name.name)),
                );
            }
            return None;
        }
        if !lowered.ty.assignable_to(&target) {
            self.report(
                Diagnostic::new(
                    codes::E0200,
                    format!(
                        "the default of `{}` is {}, but the field holds {}",
                        field.name.name,
                        lowered.ty.describe(),
                        target.describe()
                    ),
                )
                .at(e.span, format!("{} here", lowered.ty.describe()))
                .also(field.ty.span, "field type"),
            );
            return None;
        }
        Some(lowered.expr)
    }

    /// Column names from written names; relation fields expand to their
    /// foreign key columns. Reports unknown names.
    pub(super) fn resolve_columns(
        &mut self,
        build: &EntityBuild,
        names: &[ast::Ident],
        blame: Option<Span>,
    ) -> Option<Vec<String>> {
        let mut out = Vec::new();
        let mut ok = true;
        for (i, name) in names.iter().enumerate() {
            if let Some(first) = names[..i].iter().find(|n| n.name == name.name) {
                self.report(
                    Diagnostic::new(codes::E0106, format!("`{}` is listed twice", name.name))
                        .at(name.span, "listed again")
                        .also(first.span, "first listed here"),
                );
                continue;
            }
            if build.entity.field(&name.name).is_some() {
                out.push(name.name.clone());
            } else if let Some(nav) = build.navigations.get(&name.name).filter(|n| !n.columns.is_empty()) {
                out.extend(nav.columns.iter().cloned());
            } else {
                ok = false;
                let candidates: Vec<&str> = build
                    .entity
                    .fields
                    .iter()
                    .map(|f| f.name.as_str())
                    .chain(build.navigations.keys().map(String::as_str))
                    .collect();
                let mut d =
                    Diagnostic::new(codes::E0103, format!("`{}` has no field `{}`", build.entity.name, name.name))
                        .at(blame.unwrap_or(name.span), "unknown field");
                if blame.is_some() {
                    d = d.also(name.span, "named here");
                }
                if let Some(s) = did_you_mean(&name.name, candidates) {
                    d = d.help(format!("did you mean `{s}`?"));
                }
                self.report(d);
            }
        }
        ok.then_some(out)
    }

    /// Resolves `denormalized from navigation.field`: the navigation must
    /// lead to one row (a foreign key on this entity), the field must exist
    /// there and have this field's type.
    pub(super) fn resolve_denormalized(&mut self) {
        let names: Vec<String> = self.entities.keys().cloned().collect();
        for name in names {
            let pending = std::mem::take(&mut self.entities.get_mut(&name).expect("entity exists").denormalized);
            for (field, navigation, source) in pending {
                let build = &self.entities[&name];
                let target = build.navigations.get(&navigation.name).and_then(|nav| {
                    build.entity.foreign_keys.iter().find(|fk| !nav.columns.is_empty() && fk.columns == nav.columns)
                });
                let Some(target) = target.map(|fk| fk.references.clone()) else {
                    let to_many = build.navigations.contains_key(&navigation.name);
                    let mut d = Diagnostic::new(
                        codes::E0208,
                        if to_many {
                            format!("`{}.{}` leads to many rows: a copy needs one", name, navigation.name)
                        } else {
                            format!("`{name}` has no relation field `{}`", navigation.name)
                        },
                    )
                    .at(navigation.span, "not a navigation to one row");
                    let candidates: Vec<&str> = build
                        .navigations
                        .iter()
                        .filter(|(_, n)| !n.columns.is_empty())
                        .map(|(k, _)| k.as_str())
                        .collect();
                    if let Some(s) = crate::diagnostics::did_you_mean(&navigation.name, candidates) {
                        d = d.help(format!("did you mean `{s}`?"));
                    }
                    self.report(d);
                    continue;
                };
                let here = build.entity.field(&field).map(|f| self.value_type(&f.ty));
                let there = self.entities.get(&target).and_then(|t| t.entity.field(&source.name)).map(|f| f.ty.clone());
                let Some(there) = there else {
                    self.report(
                        Diagnostic::new(codes::E0208, format!("`{target}` has no field `{}`", source.name))
                            .at(source.span, "not a field of the entity the navigation leads to"),
                    );
                    continue;
                };
                if here.is_some() && here != Some(self.value_type(&there)) {
                    self.report(
                        Diagnostic::new(
                            codes::E0208,
                            format!(
                                "`{name}.{field}` cannot hold a copy of `{target}.{}`: the types differ",
                                source.name
                            ),
                        )
                        .at(navigation.span.to(source.span), "copied from here")
                        .help("give the field the type of the field it copies"),
                    );
                    continue;
                }
                let build = self.entities.get_mut(&name).expect("entity exists");
                if let Some(f) = build.entity.fields.iter_mut().find(|f| f.name == field) {
                    f.denormalized_from = Some(Box::new(ir::Denormalized {
                        navigation: navigation.name.clone(),
                        entity: target,
                        field: source.name.clone(),
                    }));
                }
            }
        }
    }

    pub(super) fn finish_entities(&mut self) {
        let names: Vec<String> = self.entities.keys().cloned().collect();
        for name in names {
            let mut build = self.entities.remove(&name).expect("entity exists");
            self.finish_entity(&mut build);
            self.entities.insert(name, build);
        }
    }

    fn finish_entity(&mut self, build: &mut EntityBuild) {
        let columns = Rc::new(build.columns(|t| self.value_type(t)));
        build.finished_columns = Rc::clone(&columns);
        let enums = self.enum_values.clone();
        let pending = std::mem::take(&mut build.pending);
        let mut primaries: Vec<(Vec<String>, Span)> =
            build.primary_fields.iter().map(|(f, s)| (vec![f.clone()], *s)).collect();
        let mut seen_once: BTreeMap<&'static str, Span> = BTreeMap::new();
        let entity_name = build.entity.name.clone();
        for p in &pending {
            let env = ExprEnv {
                columns: Some(&columns),
                entity: &entity_name,
                context: None,
                params: false,
                value: None,
                enums: &enums,
                what: "a check",
            };
            let span = p.member.span();
            if let Some(once) = once_kind(&p.member) {
                if let Some(first) = seen_once.insert(once, span) {
                    self.report(
                        Diagnostic::new(codes::E0505, format!("`{}` has two `{once}` attributes", build.entity.name))
                            .at(p.blame.unwrap_or(span), "given again")
                            .also(first, "first given here"),
                    );
                    continue;
                }
            }
            match &*p.member {
                Member::Primary(keys) => {
                    if let Some(cols) = self.resolve_columns(build, &keys.columns, p.blame) {
                        primaries.push((cols, keys.span));
                        build.entity.primary_key_name = keys.name.as_ref().map(|n| n.name.clone());
                    }
                }
                Member::Unique(u) => {
                    let Some(cols) = self.resolve_columns(build, &u.columns, p.blame) else { continue };
                    let env = ExprEnv { what: "a unique predicate", ..env };
                    let predicate = u.predicate.as_ref().map(|e| expr::lower_condition(&env, e, &mut self.diagnostics));
                    let name = u.name.as_ref().map(|n| n.name.clone());
                    build.entity.uniques.push(ir::Unique { name, columns: cols, predicate, origin: p.origin.clone() });
                }
                Member::Index(index) => {
                    if let Some(lowered) = self.lower_index(build, index, &env, p) {
                        build.entity.indexes.push(lowered);
                    }
                }
                Member::Check(c) => self.lower_check(build, c, &env, p),
                Member::Search(s) => self.lower_search(build, s, p),
                Member::Partition(part) => self.lower_partition(build, part, p),
                Member::Volume(v) => {
                    build.entity.volume = Some(ir::Volume {
                        rows: v.rows.value as u64,
                        growth_per_day: v.growth.as_ref().map(|(q, unit)| (q.value * per_day(unit)) as u64),
                    })
                }
                Member::RenamedFrom(old) => build.entity.renamed_from = Some(old.name.clone()),
                Member::RowSecurity(forced, _) => {
                    build.entity.row_security =
                        Some(if *forced { ir::RowSecurityLevel::Forced } else { ir::RowSecurityLevel::Enabled })
                }
                Member::Table(name) => {
                    if storage_name_ok(self, &name.value, name.span, "table") {
                        build.entity.table = name.value.clone();
                    }
                }
                Member::Behaviour(b) => self.lower_behaviour(build, b, &env, p),
                Member::Field(_) | Member::Apply(_) | Member::Relation(_) => {}
            }
        }
        self.settle_primary_key(build, primaries);
        self.check_partition_keys(build);
    }

    fn settle_primary_key(&mut self, build: &mut EntityBuild, primaries: Vec<(Vec<String>, Span)>) {
        match primaries.as_slice() {
            [] => match &build.implicit_key {
                Some(key) => build.entity.primary_key = key.clone(),
                None => self.report(
                    Diagnostic::new(codes::E0500, format!("entity `{}` has no primary key", build.entity.name))
                        .at(build.name_span, "no `primary` field or `primary (…)`")
                        .help("add a key, e.g. `id bigint = identity primary` or `id uuid = uuid_v7() primary`"),
                ),
            },
            [(cols, _)] => build.entity.primary_key = cols.clone(),
            [(cols, first), rest @ ..] => {
                build.entity.primary_key = cols.clone();
                for (_, span) in rest {
                    self.report(
                        Diagnostic::new(
                            codes::E0501,
                            format!("entity `{}` has more than one primary key", build.entity.name),
                        )
                        .at(*span, "another primary key")
                        .also(*first, "first primary key")
                        .help("for a composite key, write one `primary (a, b)`; other unique columns take `unique`"),
                    );
                }
            }
        }
        for field in &mut build.entity.fields {
            if build.entity.primary_key.contains(&field.name) {
                field.nullable = false;
            }
        }
    }

    fn lower_index(
        &mut self,
        build: &EntityBuild,
        index: &ast::IndexAttr,
        env: &ExprEnv,
        p: &Pending,
    ) -> Option<ir::Index> {
        let method = match &index.method {
            None => ir::IndexMethod::Btree,
            Some(m) => match m.name.as_str() {
                "btree" => ir::IndexMethod::Btree,
                "hash" => ir::IndexMethod::Hash,
                "gin" => ir::IndexMethod::Gin,
                "gist" => ir::IndexMethod::Gist,
                "brin" => ir::IndexMethod::Brin,
                other => {
                    let mut d = Diagnostic::new(codes::E0502, format!("`{other}` is not an index method"))
                        .at(m.span, "expected btree, hash, gin, gist or brin");
                    if let Some(s) = did_you_mean(other, ["btree", "hash", "gin", "gist", "brin"]) {
                        d = d.help(format!("did you mean `{s}`?"));
                    }
                    self.report(d);
                    return None;
                }
            },
        };
        let mut keys = Vec::new();
        let mut seen: Vec<&ast::Ident> = Vec::new();
        for key in &index.keys {
            if let ast::ExprKind::Path(path) = &key.expr.kind {
                if let [single] = path.as_slice() {
                    if let Some(first) = seen.iter().find(|s| s.name == single.name) {
                        self.report(
                            Diagnostic::new(codes::E0106, format!("`{}` is listed twice", single.name))
                                .at(single.span, "listed again")
                                .also(first.span, "first listed here"),
                        );
                        continue;
                    }
                    seen.push(single);
                }
            }
            // A bare relation field stands for all of its foreign key columns.
            if let ast::ExprKind::Path(path) = &key.expr.kind {
                if let [single] = path.as_slice() {
                    if let Some(nav) = build.navigations.get(&single.name).filter(|n| n.columns.len() > 1) {
                        for column in &nav.columns {
                            keys.push(ir::IndexKey {
                                expr: ir::Expr::Column { name: column.clone() },
                                descending: key.descending.unwrap_or(false),
                                nulls_first: key.nulls_first,
                            });
                        }
                        continue;
                    }
                }
            }
            let env = ExprEnv { what: "an index key", ..env.clone() };
            let lowered = expr::lower(&env, &key.expr, None, &mut self.diagnostics);
            if lowered.volatile {
                self.report(volatile(&key.expr, "an index key"));
            }
            keys.push(ir::IndexKey {
                expr: lowered.expr,
                descending: key.descending.unwrap_or(false),
                nulls_first: key.nulls_first,
            });
        }
        let include = self.resolve_columns(build, &index.include, p.blame)?;
        let env = ExprEnv { what: "an index predicate", ..env.clone() };
        let predicate = index.predicate.as_ref().map(|e| self.stable_condition(&env, e));
        Some(ir::Index {
            name: index.name.as_ref().map(|n| n.name.clone()),
            unique: index.unique,
            keys,
            include,
            predicate,
            method,
            origin: p.origin.clone(),
        })
    }

    fn lower_check(&mut self, build: &mut EntityBuild, c: &ast::CheckAttr, env: &ExprEnv, p: &Pending) {
        if let Some(generated) = p.field.as_deref().and_then(|f| f.strip_prefix("generated:")) {
            let generated = generated.to_string();
            let mut columns = env.columns.cloned().unwrap_or_default();
            columns.remove(&generated);
            let target = build.entity.field(&generated).map(|f| self.value_type(&f.ty)).unwrap_or(ValueType::Unknown);
            let env = ExprEnv { columns: Some(&columns), what: "a generated value", ..env.clone() };
            let lowered = expr::lower(&env, &c.expr, Some(&target), &mut self.diagnostics);
            if lowered.volatile {
                self.report(
                    Diagnostic::new(
                        codes::E0206,
                        format!("the generated value of `{generated}` changes every time it is computed"),
                    )
                    .at(c.expr.span, "uses a volatile function")
                    .help(
                        "generated values must be computed from the row alone; use a default for now() or random ids",
                    ),
                );
            } else if !lowered.ty.assignable_to(&target) {
                self.report(
                    Diagnostic::new(
                        codes::E0200,
                        format!(
                            "`{generated}` holds {}, but its generated value is {}",
                            target.describe(),
                            lowered.ty.describe()
                        ),
                    )
                    .at(c.expr.span, "wrong type"),
                );
            }
            if let Some(field) = build.entity.fields.iter_mut().find(|f| f.name == generated) {
                field.generated = Some(Box::new(lowered.expr));
            }
            return;
        }
        let before = self.diagnostics.len();
        let lowered = expr::lower(env, &c.expr, Some(&ValueType::Bool), &mut self.diagnostics);
        if self.diagnostics.len() == before
            && (!lowered.ty.fits(&ValueType::Bool) || lowered.ty == ValueType::StringLiteral)
        {
            self.report(
                Diagnostic::new(
                    codes::E0201,
                    format!("a check must be a condition, but this is {}", lowered.ty.describe()),
                )
                .at(c.expr.span, "not true or false")
                .help("compare it with something, e.g. `price > 0`"),
            );
        }
        if lowered.volatile {
            self.report(
                Diagnostic::new(codes::E0206, "a check must give the same answer every time")
                    .at(c.expr.span, "uses a volatile function")
                    .help("checks cannot call now() or random functions; use a trigger or a default"),
            );
        }
        build.entity.checks.push(ir::Check {
            name: c.name.as_ref().map(|n| n.name.clone()),
            field: p.field.clone(),
            expr: lowered.expr,
            origin: p.origin.clone(),
        });
    }

    /// A condition that must give the same answer every time (index and
    /// unique predicates, type checks): volatile functions are refused.
    pub(super) fn stable_condition(&mut self, env: &ExprEnv, e: &ast::Expr) -> ir::Expr {
        let lowered = expr::lower(env, e, Some(&ValueType::Bool), &mut self.diagnostics);
        if lowered.volatile {
            self.report(volatile(e, env.what));
        } else if !lowered.ty.fits(&ValueType::Bool) || lowered.ty == ValueType::StringLiteral {
            self.report(
                Diagnostic::new(
                    codes::E0201,
                    format!("{} must be a condition, but this is {}", env.what, lowered.ty.describe()),
                )
                .at(e.span, "not true or false"),
            );
        }
        lowered.expr
    }

    fn lower_search(&mut self, build: &mut EntityBuild, s: &ast::SearchAttr, p: &Pending) {
        let mut columns: Vec<ir::SearchColumn> = Vec::new();
        for (i, c) in s.columns.iter().enumerate() {
            if let Some(first) = s.columns[..i].iter().find(|f| f.column.name == c.column.name) {
                self.report(
                    Diagnostic::new(codes::E0106, format!("`{}` is listed twice", c.column.name))
                        .at(c.column.span, "listed again")
                        .also(first.column.span, "first listed here"),
                );
                continue;
            }
            let Some(field) = build.entity.field(&c.column.name) else {
                self.resolve_columns(build, std::slice::from_ref(&c.column), p.blame);
                continue;
            };
            if !self.value_type(&field.ty).is_textual() {
                self.report(
                    Diagnostic::new(codes::E0504, format!("`{}` is not text and cannot be searched", c.column.name))
                        .at(c.column.span, "full-text search needs text fields"),
                );
                continue;
            }
            columns.push(ir::SearchColumn { field: field.name.clone(), weight: c.weight.unwrap_or('D') });
        }
        build.entity.search =
            Some(ir::Search { columns, language: s.language.as_ref().map_or("english".into(), |l| l.name.clone()) });
    }

    fn lower_partition(&mut self, build: &mut EntityBuild, part: &ast::PartitionAttr, p: &Pending) {
        let Some(columns) = self.resolve_columns(build, &part.columns, p.blame) else { return };
        let kind = match part.kind {
            ast::PartitionKind::Range => ir::PartitionKind::Range,
            ast::PartitionKind::List => ir::PartitionKind::List,
            ast::PartitionKind::Hash => ir::PartitionKind::Hash,
        };
        let literal = |v: &ast::BoundValue| match v {
            ast::BoundValue::String(s) => format!("'{}'", s.replace('\'', "''")),
            ast::BoundValue::Number(n) => n.clone(),
        };
        let fixed = part
            .fixed
            .iter()
            .map(|f| ir::FixedPartition {
                name: f.name.name.clone(),
                bound: match &f.bound {
                    ast::FixedBound::Range { from, to } => {
                        ir::FixedBound::Range { from: literal(from), to: literal(to) }
                    }
                    ast::FixedBound::In(values) => ir::FixedBound::In { values: values.iter().map(literal).collect() },
                    ast::FixedBound::Hash { modulus, remainder } => {
                        ir::FixedBound::Hash { modulus: *modulus as u32, remainder: *remainder as u32 }
                    }
                    ast::FixedBound::Default => ir::FixedBound::Default,
                },
            })
            .collect();
        let mut partition = ir::Partition { kind, columns, interval: None, partitions: None, fixed };
        match (&part.scheme, kind) {
            (None, _) => {}
            (Some(ast::PartitionScheme::Every { count, unit }), ir::PartitionKind::Range) if *count > 0 => {
                partition.interval =
                    Some(ir::PartitionInterval { count: (*count).min(u32::MAX as u64) as u32, unit: time_unit(unit) })
            }
            (Some(ast::PartitionScheme::Into(n)), ir::PartitionKind::Hash) if (1..=1024).contains(n) => {
                partition.partitions = Some(*n as u32)
            }
            (Some(_), _) => {
                self.report(
                    Diagnostic::new(codes::E0503, "this partition scheme does not fit the partitioning kind")
                        .at(part.span, "invalid scheme")
                        .help("use `partition by range (col) every 1 month` or `partition by hash (col) into 8 partitions` (1–1024)"),
                );
            }
        }
        build.entity.partition = Some(partition);
    }

    fn check_partition_keys(&mut self, build: &EntityBuild) {
        let Some(partition) = &build.entity.partition else { return };
        let key = &build.entity.primary_key;
        let missing: Vec<&String> = partition.columns.iter().filter(|c| !key.is_empty() && !key.contains(c)).collect();
        if !missing.is_empty() {
            let list = missing.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ");
            self.report(
                Diagnostic::new(
                    codes::E0503,
                    format!("the primary key of `{}` must include the partition key {list}", build.entity.name),
                )
                .at(build.name_span, "partitioned entity")
                .help(format!(
                    "make the key composite: `primary ({}, {})`",
                    key.join(", "),
                    missing.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
                )),
            );
        }
        for unique in &build.entity.uniques {
            if partition.columns.iter().any(|c| !unique.columns.contains(c)) {
                self.report(
                    Diagnostic::new(
                        codes::E0503,
                        format!(
                            "unique ({}) on `{}` must include the partition key",
                            unique.columns.join(", "),
                            build.entity.name
                        ),
                    )
                    .at(build.name_span, "partitioned entity")
                    .note("a partitioned table can only enforce uniqueness within one partition"),
                );
            }
        }
    }

    fn lower_behaviour(&mut self, build: &mut EntityBuild, b: &ast::Behaviour, env: &ExprEnv, p: &Pending) {
        let Some((_, kind)) = ir::BehaviourKind::ALL.iter().find(|(n, _)| *n == b.name.name) else {
            let mut d = Diagnostic::new(codes::E0403, format!("unknown behaviour `{}`", b.name.name))
                .at(b.name.span, "not a compiler behaviour");
            d = match did_you_mean(&b.name.name, ir::BehaviourKind::ALL.iter().map(|(n, _)| *n)) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.note(super::behaviours::LIST),
            };
            self.report(d);
            return;
        };
        let env = ExprEnv { what: "a behaviour argument", ..env.clone() };
        let args = b.args.iter().flatten().map(|a| expr::lower(&env, a, None, &mut self.diagnostics).expr).collect();
        let pattern = match &p.origin {
            Origin::Pattern { pattern } => pattern.clone(),
            _ => String::new(),
        };
        let behaviour = ir::Behaviour { kind: *kind, args, pattern };
        if self.check_behaviour(&build.entity, &behaviour, p.blame.unwrap_or(b.span)) {
            build.entity.behaviours.push(behaviour);
        }
    }
}

pub fn volatile(e: &ast::Expr, what: &str) -> Diagnostic {
    Diagnostic::new(codes::E0206, format!("{what} must give the same answer every time"))
        .at(e.span, "uses a function whose result changes (now(), random ids, sql(…))")
        .help("databases refuse such functions here; compare with a fixed value, or use a trigger")
}

/// A type as written: `varchar(20)[]?`.
pub fn written_type(ty: &ast::TypeRef) -> String {
    let mut out = ty.name.name.clone();
    if !ty.args.is_empty() {
        out.push_str(&format!("({})", ty.args.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")));
    }
    for _ in 0..ty.array_dims {
        out.push_str("[]");
    }
    if ty.optional {
        out.push('?');
    }
    out
}

/// A table or column name given in the source: not empty, no NUL, at most
/// 63 bytes (PostgreSQL's limit; longer names would be cut). Reports and
/// returns false otherwise.
fn storage_name_ok(analyzer: &mut Analyzer, name: &str, span: crate::diagnostics::Span, what: &str) -> bool {
    let problem = if name.is_empty() {
        Some(format!("an empty {what} name"))
    } else if name.contains('\0') {
        Some(format!("a {what} name cannot hold a NUL character"))
    } else if name.len() > 63 {
        Some(format!("the {what} name `{name}` is {} bytes; databases take at most 63", name.len()))
    } else {
        None
    };
    match problem {
        Some(message) => {
            analyzer.report(Diagnostic::new(codes::E0800, message).at(span, "as the database would name it"));
            false
        }
        None => true,
    }
}

/// Attributes an entity may have at most once.
fn once_kind(member: &Member) -> Option<&'static str> {
    match member {
        Member::Search(_) => Some("search"),
        Member::Partition(_) => Some("partition"),
        Member::Volume(_) => Some("volume"),
        Member::RenamedFrom(_) => Some("renamed_from"),
        Member::Table(_) => Some("table"),
        Member::RowSecurity(..) => Some("row_security"),
        _ => None,
    }
}

fn time_unit(unit: &str) -> ir::TimeUnit {
    match unit.trim_end_matches('s') {
        "second" => ir::TimeUnit::Second,
        "minute" => ir::TimeUnit::Minute,
        "hour" => ir::TimeUnit::Hour,
        "day" => ir::TimeUnit::Day,
        "week" => ir::TimeUnit::Week,
        "month" => ir::TimeUnit::Month,
        _ => ir::TimeUnit::Year,
    }
}

fn per_day(unit: &str) -> f64 {
    match unit.trim_end_matches('s') {
        "second" => 86_400.0,
        "minute" => 1_440.0,
        "hour" => 24.0,
        "day" => 1.0,
        "week" => 1.0 / 7.0,
        "month" => 1.0 / 30.0,
        _ => 1.0 / 365.0,
    }
}
