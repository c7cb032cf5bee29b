//! Raising: the IR back to `.schema` source — what `schemac import` prints.
//!
//! Builds the syntax tree of one file from an IR and prints it with the
//! formatter, so the text is canonical and parses back to the same tree.
//! Only what the source declares is raised: fields, keys and relations a
//! pattern, a relation or a pass made are left to the compiler to make again
//! (an entity's `patterns` are written `apply …`, with their `use` line; a
//! many-to-many relation's junction is made by the relation, named with
//! `through` when it is not the default one).
//! Names the database has that the compiler would not generate (tables,
//! columns, keys, indexes, constraints) are written out, so the source
//! compiles to the database it came from. It must not judge or change the
//! model: an importer decides what the IR holds.

use std::collections::BTreeSet;

use super::ir::{self, Expr, Origin, Type};
use super::snake_case;
use crate::diagnostics::{FileId, Span};
use crate::syntax::ast::{self, *};
use crate::syntax::lexical::is_identifier;
use crate::syntax::printer;

/// `.schema` source for everything `ir` declares.
pub fn source(ir: &ir::Ir) -> String {
    let file = SourceFile { file: FileId(0), declarations: placed(ir, declarations(ir)), comments: Vec::new() };
    printer::print(&file, "").expect("a tree without comments always prints")
}

/// The declarations of objects in other PostgreSQL schemas (`ir.schemas`)
/// moved to the end, each schema's after its `schema NAME` line.
fn placed(ir: &ir::Ir, declarations: Vec<Declaration>) -> Vec<Declaration> {
    if ir.schemas.is_empty() {
        return declarations;
    }
    let mut out = Vec::with_capacity(declarations.len() + 4);
    let mut groups: std::collections::BTreeMap<&str, Vec<Declaration>> = std::collections::BTreeMap::new();
    for declaration in declarations {
        let id = match &declaration {
            Declaration::Entity(d) => format!("entity:{}", d.name.name),
            Declaration::Enum(d) => format!("enum:{}", d.name.name),
            Declaration::TypeAlias(d) => format!("type:{}", d.name.name),
            Declaration::View(d) => format!("view:{}", d.name.name),
            Declaration::Function(d) => format!("function:{}", d.name.name),
            Declaration::Aggregate(d) => format!("aggregate:{}", d.name.name),
            _ => String::new(),
        };
        match ir.schemas.get(&id) {
            Some(schema) => groups.entry(schema.as_str()).or_default().push(declaration),
            None => out.push(declaration),
        }
    }
    for (schema, group) in groups {
        out.push(Declaration::Schema(ast::SchemaDecl { name: ident(schema), span: NO_SPAN }));
        out.extend(group);
    }
    out
}

fn declarations(ir: &ir::Ir) -> Vec<Declaration> {
    let mut out = Vec::new();
    if let Some(imports) = pattern_imports(ir) {
        out.push(Declaration::Use(imports));
    }
    for e in &ir.enums {
        out.push(Declaration::Enum(ast::Enum {
            docs: docs(&e.doc),
            name: ident(&e.name),
            values: e.values.iter().map(|v| EnumValue { docs: Vec::new(), name: ident(v) }).collect(),
            span: NO_SPAN,
        }));
    }
    for d in &ir.domains {
        out.push(Declaration::TypeAlias(TypeAlias {
            docs: docs(&d.doc),
            name: ident(&d.name),
            target: type_ref(&d.base, false),
            shape: None,
            check: d.check.as_ref().map(|c| expr(c, ir, None)),
            span: NO_SPAN,
        }));
    }
    for entity in ir.entities.iter().filter(|e| e.origin == Origin::Declared) {
        out.push(Declaration::Entity(raise_entity(entity, ir)));
    }
    for relation in ir.relations.iter().filter(|r| r.origin == Origin::Declared) {
        if let Some(r) = raise_relation(relation, ir) {
            out.push(Declaration::Relation(r));
        }
    }
    for f in &ir.functions {
        out.push(Declaration::Function(ast::Function {
            docs: docs(&f.doc),
            name: ident(&f.name),
            params: f
                .params
                .iter()
                .map(|p| {
                    let name = (!p.name.is_empty()).then(|| ident(&p.name));
                    (name, type_ref(&p.ty, false), p.default.as_ref().map(|d| expr(d, ir, None)))
                })
                .collect(),
            returns: match &f.returns {
                ir::FunctionReturns::Trigger => TypeRef {
                    name: ident("trigger"),
                    raw: None,
                    args: Vec::new(),
                    array_dims: 0,
                    optional: false,
                    span: NO_SPAN,
                },
                ir::FunctionReturns::Value { ty } => type_ref(ty, false),
            },
            language: ident(&f.language),
            volatility: f.volatility.map(|v| {
                ident(match v {
                    ir::Volatility::Immutable => "immutable",
                    ir::Volatility::Stable => "stable",
                })
            }),
            strict: f.strict,
            security_definer: f.security_definer,
            search_path: f.search_path.as_deref().map(string),
            bodies: f
                .bodies
                .iter()
                .map(|(backend, body)| ((backend != "any").then(|| ident(backend)), string(body)))
                .collect(),
            span: NO_SPAN,
        }));
    }
    for t in &ir.triggers {
        out.push(Declaration::Trigger(ast::Trigger {
            docs: docs(&t.doc),
            name: ident(&t.name),
            entity: ident(&t.entity),
            timing: match t.timing {
                ir::TriggerTiming::Before => TriggerTiming::Before,
                ir::TriggerTiming::After => TriggerTiming::After,
                ir::TriggerTiming::InsteadOf => TriggerTiming::InsteadOf,
            },
            events: t
                .events
                .iter()
                .map(|e| match e {
                    ir::TriggerEvent::Insert => TriggerEvent::Insert,
                    ir::TriggerEvent::Update => TriggerEvent::Update,
                    ir::TriggerEvent::Delete => TriggerEvent::Delete,
                })
                .collect(),
            for_each_row: (!t.for_each_row).then_some(false),
            function: ident(&t.function),
            arguments: t.arguments.iter().map(|a| string(a)).collect(),
            span: NO_SPAN,
        }));
    }
    for a in &ir.aggregates {
        out.push(Declaration::Aggregate(ast::Aggregate {
            docs: docs(&a.doc),
            name: ident(&a.name),
            params: a.params.iter().map(|t| type_ref(t, false)).collect(),
            state: type_ref(&a.state, false),
            step: ident(&a.step),
            final_function: a.final_function.as_deref().map(ident),
            initial: a.initial.as_deref().map(string),
            span: NO_SPAN,
        }));
    }
    for role in &ir.roles {
        out.push(Declaration::Role(ast::Role {
            docs: docs(&role.doc),
            name: ident(&role.name),
            inherits: role.inherits.iter().map(|r| ident(r)).collect(),
            login: role.login,
            span: NO_SPAN,
        }));
    }
    // One `grant` per role, entity and column list: `grant select, insert on T to r`.
    type GrantGroup<'i> = (&'i str, &'i str, Option<&'i Vec<String>>, Vec<PrivilegeKind>);
    let mut grants: Vec<GrantGroup> = Vec::new();
    for g in &ir.grants {
        let kind = privilege_kind(g.privilege);
        match grants.iter_mut().find(|(r, e, c, _)| *r == g.role && *e == g.entity && *c == g.columns.as_ref()) {
            Some(group) => group.3.push(kind),
            None => grants.push((&g.role, &g.entity, g.columns.as_ref(), vec![kind])),
        }
    }
    for (role, entity, columns, kinds) in grants {
        out.push(grant(role, entity, false, columns, kinds));
    }
    out.extend(object_grants(ir));
    // One `revoke` for every function PUBLIC may not execute.
    let revoked: Vec<Ident> = ir.functions.iter().filter(|f| f.revoke_public).map(|f| ident(&f.name)).collect();
    if !revoked.is_empty() {
        out.push(Declaration::Revoke(ast::Revoke { functions: revoked, role: ident("public"), span: NO_SPAN }));
    }
    for p in &ir.policies {
        let Some(entity) = ir.entity(&p.entity) else { continue };
        let mut items = Vec::new();
        if !p.roles.is_empty() {
            items.push(PolicyItem::To(p.roles.iter().map(|r| ident(r)).collect(), NO_SPAN));
        }
        if p.commands != [ir::PolicyCommand::All] {
            let commands = p
                .commands
                .iter()
                .map(|c| match c {
                    ir::PolicyCommand::All => PolicyCommand::All,
                    ir::PolicyCommand::Select => PolicyCommand::Select,
                    ir::PolicyCommand::Insert => PolicyCommand::Insert,
                    ir::PolicyCommand::Update => PolicyCommand::Update,
                    ir::PolicyCommand::Delete => PolicyCommand::Delete,
                })
                .collect();
            items.push(PolicyItem::For(commands, NO_SPAN));
        }
        if let Some(using) = &p.using {
            items.push(PolicyItem::Using(expr(using, ir, Some(entity)), NO_SPAN));
        }
        if let Some(check) = &p.check {
            items.push(PolicyItem::Check(expr(check, ir, Some(entity)), NO_SPAN));
        }
        if p.restrictive {
            items.push(PolicyItem::Restrictive(true, NO_SPAN));
        }
        out.push(Declaration::Policy(ast::Policy {
            docs: docs(&p.doc),
            name: ident(&p.name),
            entities: vec![ident(&p.entity)],
            items,
            span: NO_SPAN,
        }));
    }
    for view in &ir.views {
        let definition = match &view.definition {
            ir::ViewDefinition::Query { entity, filter, columns } => ast::ViewDefinition::Query {
                entity: ident(entity),
                filter: filter.as_ref().map(|f| expr(f, ir, ir.entity(entity))),
                columns: Some(columns.iter().map(|c| ident(c)).collect()),
            },
            ir::ViewDefinition::Sql { bodies } => {
                ast::ViewDefinition::Sql(bodies.iter().map(|(backend, sql)| (ident(backend), string(sql))).collect())
            }
        };
        out.push(Declaration::View(View {
            security_definer: view.security_definer,
            docs: docs(&view.doc),
            materialized: view.materialized,
            name: ident(&view.name),
            definition,
            span: NO_SPAN,
        }));
    }
    out
}

/// `use std::patterns::{…}` for the standard patterns the entities apply.
fn pattern_imports(ir: &ir::Ir) -> Option<Use> {
    let used: BTreeSet<&str> = ir
        .entities
        .iter()
        .filter(|e| e.origin == Origin::Declared)
        .flat_map(|e| e.patterns.iter().map(String::as_str))
        .collect();
    let mut path = vec![ident("std"), ident("patterns")];
    let imports = match used.len() {
        0 => return None,
        1 => {
            path.extend(used.iter().map(|p| ident(p)));
            Imports::Single
        }
        _ => Imports::Group(used.iter().map(|p| ident(p)).collect()),
    };
    Some(Use { path, imports, span: NO_SPAN })
}

fn raise_entity(entity: &ir::Entity, ir: &ir::Ir) -> ast::Entity {
    let mut members = Vec::new();
    if entity.table != snake_case(&entity.name) {
        members.push(Member::Table(string(&entity.table)));
    }
    if let Some(level) = entity.row_security {
        members.push(Member::RowSecurity(level == ir::RowSecurityLevel::Forced, NO_SPAN));
    }
    let single_key = match (entity.primary_key.as_slice(), &entity.primary_key_name) {
        ([key], None) => Some(key.as_str()),
        _ => None,
    };
    // `apply p` goes where the first field the pattern made is (the compiler
    // puts the pattern's fields there), else after the fields.
    let apply = |pattern: &str| {
        Member::Apply(ApplyAttr {
            patterns: vec![PatternUse { name: ident(pattern), args: None, span: NO_SPAN }],
            span: NO_SPAN,
        })
    };
    let mut applied: BTreeSet<&str> = BTreeSet::new();
    for field in &entity.fields {
        if let Origin::Pattern { pattern } = &field.origin {
            if entity.patterns.contains(pattern) && applied.insert(pattern) {
                members.push(apply(pattern));
            }
        }
        if field.origin != Origin::Declared {
            continue;
        }
        let mut modifiers = Vec::new();
        if single_key == Some(field.name.as_str()) {
            modifiers.push(Modifier::Primary(NO_SPAN));
        }
        for check in entity.checks.iter().filter(|c| c.name.is_none() && c.field.as_deref() == Some(&field.name)) {
            modifiers.push(Modifier::Check(expr(&check.expr, ir, Some(entity))));
        }
        if field.column != field.name {
            modifiers.push(Modifier::Column(string(&field.column)));
        }
        let default = if field.identity && field.identity_always {
            Some(DefaultValue::IdentityAlways(NO_SPAN))
        } else if field.identity {
            Some(DefaultValue::Identity(NO_SPAN))
        } else if field.serial {
            Some(DefaultValue::Serial(NO_SPAN))
        } else if let Some(generated) = &field.generated {
            Some(DefaultValue::Generated(expr(generated, ir, Some(entity))))
        } else {
            field.default.as_ref().map(|d| DefaultValue::Expr(expr(d, ir, Some(entity))))
        };
        members.push(Member::Field(ast::Field {
            docs: docs(&field.doc),
            name: ident(&field.name),
            ty: type_ref(&field.ty, field.nullable),
            default,
            modifiers,
            span: NO_SPAN,
        }));
    }
    for pattern in entity.patterns.iter().filter(|p| !applied.contains(p.as_str())) {
        members.push(apply(pattern));
    }
    if single_key.is_none() && !entity.primary_key.is_empty() {
        members.push(Member::Primary(KeyList {
            name: entity.primary_key_name.as_deref().map(ident),
            columns: entity.primary_key.iter().map(|c| ident(c)).collect(),
            span: NO_SPAN,
        }));
    }
    for unique in entity.uniques.iter().filter(|u| u.origin == Origin::Declared) {
        members.push(Member::Unique(UniqueAttr {
            name: unique.name.as_deref().map(ident),
            columns: unique.columns.iter().map(|c| ident(c)).collect(),
            predicate: unique.predicate.as_ref().map(|p| expr(p, ir, Some(entity))),
            span: NO_SPAN,
        }));
    }
    for index in entity.indexes.iter().filter(|i| i.origin == Origin::Declared) {
        members.push(Member::Index(IndexAttr {
            unique: index.unique,
            name: index.name.as_deref().map(ident),
            keys: index
                .keys
                .iter()
                .map(|k| ast::IndexKey {
                    expr: expr(&k.expr, ir, Some(entity)),
                    descending: k.descending.then_some(true),
                    nulls_first: k.nulls_first,
                })
                .collect(),
            include: index.include.iter().map(|c| ident(c)).collect(),
            predicate: index.predicate.as_ref().map(|p| expr(p, ir, Some(entity))),
            method: (index.method != ir::IndexMethod::Btree).then(|| ident(method_name(index.method))),
            span: NO_SPAN,
        }));
    }
    if let Some(p) = &entity.partition {
        let value = |v: &str| match v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
            Some(text) => BoundValue::String(text.replace("''", "'")),
            None => BoundValue::Number(v.to_string()),
        };
        members.push(Member::Partition(PartitionAttr {
            kind: match p.kind {
                ir::PartitionKind::Range => PartitionKind::Range,
                ir::PartitionKind::List => PartitionKind::List,
                ir::PartitionKind::Hash => PartitionKind::Hash,
            },
            columns: p.columns.iter().map(|c| ident(c)).collect(),
            scheme: match (&p.interval, p.partitions) {
                (Some(i), _) => Some(PartitionScheme::Every {
                    count: u64::from(i.count),
                    unit: format!("{:?}", i.unit).to_lowercase(),
                }),
                (None, Some(n)) => Some(PartitionScheme::Into(u64::from(n))),
                (None, None) => None,
            },
            fixed: p
                .fixed
                .iter()
                .map(|f| FixedPartition {
                    name: ident(&f.name),
                    bound: match &f.bound {
                        ir::FixedBound::Range { from, to } => FixedBound::Range { from: value(from), to: value(to) },
                        ir::FixedBound::In { values } => FixedBound::In(values.iter().map(|v| value(v)).collect()),
                        ir::FixedBound::Hash { modulus, remainder } => {
                            FixedBound::Hash { modulus: u64::from(*modulus), remainder: u64::from(*remainder) }
                        }
                        ir::FixedBound::Default => FixedBound::Default,
                    },
                })
                .collect(),
            span: NO_SPAN,
        }));
    }
    for check in entity.checks.iter().filter(|c| c.origin == Origin::Declared) {
        if check.name.is_none() && check.field.is_some() {
            continue; // written on its field
        }
        members.push(Member::Check(CheckAttr {
            name: check.name.as_deref().map(ident),
            expr: expr(&check.expr, ir, Some(entity)),
            span: NO_SPAN,
        }));
    }
    ast::Entity { docs: docs(&entity.doc), name: ident(&entity.name), members, span: NO_SPAN }
}

fn raise_relation(relation: &ir::Relation, ir: &ir::Ir) -> Option<ast::Relation> {
    let cardinality = match relation.cardinality {
        ir::Cardinality::ManyToOne => ast::Cardinality::ManyToOne,
        ir::Cardinality::OneToOne => ast::Cardinality::OneToOne,
        ir::Cardinality::ManyToMany => ast::Cardinality::ManyToMany,
        ir::Cardinality::Polymorphic => return None,
    };
    let navigation = relation.from.navigation.as_deref()?;
    // A many-to-many relation's holder is its junction, which the relation
    // makes (it is not declared, so it is not in a raised IR).
    let holder = ir.entity(&relation.holder);
    if holder.is_none() && cardinality != ast::Cardinality::ManyToMany {
        return None;
    }
    let target = ir.entity(&relation.to.entity)?;
    let fk = holder.and_then(|h| h.foreign_keys.iter().find(|fk| fk.relation == relation.id));
    let mut body = Vec::new();
    if relation.required {
        body.push(RelationItem::Required(NO_SPAN));
    }
    // `through` when the junction is not the one named after both ends.
    if let Some(junction) = relation.junction.as_deref() {
        if junction != format!("{}{}", relation.from.entity, relation.to.entity) {
            body.push(RelationItem::Through(Through { entity: ident(junction), members: None, span: NO_SPAN }));
        }
    }
    if let Some(fk) = fk {
        if fk.on_delete != ir::RefAction::NoAction {
            body.push(RelationItem::OnDelete(action(fk.on_delete), NO_SPAN));
        }
        if fk.on_update != ir::RefAction::NoAction {
            body.push(RelationItem::OnUpdate(action(fk.on_update), NO_SPAN));
        }
        if fk.deferrable {
            body.push(RelationItem::Deferrable(NO_SPAN));
        }
    }
    let defaults: Vec<String> = target.primary_key.iter().map(|k| format!("{navigation}_{k}")).collect();
    if cardinality != ast::Cardinality::ManyToMany && relation.columns != defaults {
        body.push(RelationItem::Columns(relation.columns.iter().map(|c| ident(c)).collect(), NO_SPAN));
    }
    if let Some(name) = fk.and_then(|fk| fk.name.as_deref()) {
        body.push(RelationItem::Constraint(ident(name), NO_SPAN));
    }
    let end =
        |e: &ir::RelationEnd| ast::RelationEnd { entity: ident(&e.entity), field: e.navigation.as_deref().map(ident) };
    Some(ast::Relation {
        docs: docs(&relation.doc),
        from: end(&relation.from),
        cardinality,
        to: end(&relation.to),
        alternatives: Vec::new(),
        body: (!body.is_empty()).then_some(body),
        span: NO_SPAN,
    })
}

const NO_SPAN: Span = Span { file: FileId(0), start: 0, end: 0 };

fn ident(name: &str) -> Ident {
    Ident { name: name.to_string(), span: NO_SPAN }
}

fn string(value: &str) -> StringLit {
    StringLit { value: value.to_string(), span: NO_SPAN }
}

fn docs(doc: &Option<String>) -> Vec<String> {
    doc.as_deref().map(|d| d.lines().map(str::to_string).collect()).unwrap_or_default()
}

fn method_name(method: ir::IndexMethod) -> &'static str {
    match method {
        ir::IndexMethod::Btree => "btree",
        ir::IndexMethod::Hash => "hash",
        ir::IndexMethod::Gin => "gin",
        ir::IndexMethod::Gist => "gist",
        ir::IndexMethod::Brin => "brin",
    }
}

fn action(action: ir::RefAction) -> RefAction {
    match action {
        ir::RefAction::NoAction => RefAction::NoAction,
        ir::RefAction::Restrict => RefAction::Restrict,
        ir::RefAction::Cascade => RefAction::Cascade,
        ir::RefAction::SetNull => RefAction::SetNull,
        ir::RefAction::SetDefault => RefAction::SetDefault,
    }
}

/// A type as written: its name, arguments, array dimensions and `?`.
fn type_ref(ty: &Type, optional: bool) -> TypeRef {
    let (name, args, dims) = type_parts(ty);
    let raw = match ty {
        Type::Sql { sql } => Some(sql.clone()),
        Type::Array { element } => match element.as_ref() {
            Type::Sql { sql } => Some(sql.clone()),
            _ => None,
        },
        _ => None,
    };
    TypeRef { name: ident(&name), raw, args, array_dims: dims, optional, span: NO_SPAN }
}

fn type_parts(ty: &Type) -> (String, Vec<u64>, u8) {
    let precise = |name: &str, p: &Option<u32>| (name.to_string(), p.iter().map(|p| u64::from(*p)).collect(), 0);
    match ty {
        Type::Uuid => ("uuid".into(), vec![], 0),
        Type::Text => ("text".into(), vec![], 0),
        Type::Varchar { length } => ("varchar".into(), vec![u64::from(*length)], 0),
        Type::Char { length } => ("char".into(), vec![u64::from(*length)], 0),
        Type::SmallInt => ("smallint".into(), vec![], 0),
        Type::Int => ("int".into(), vec![], 0),
        Type::BigInt => ("bigint".into(), vec![], 0),
        Type::Numeric { precision: Some(p), scale } => {
            ("numeric".into(), vec![u64::from(*p), u64::from(scale.unwrap_or(0))], 0)
        }
        Type::Numeric { .. } => ("numeric".into(), vec![], 0),
        Type::Real => ("real".into(), vec![], 0),
        Type::Double => ("double".into(), vec![], 0),
        Type::Bool => ("bool".into(), vec![], 0),
        Type::Date => ("date".into(), vec![], 0),
        Type::Time { precision } => precise("time", precision),
        Type::Timestamp { precision } => precise("timestamp", precision),
        Type::Timestamptz { precision } => precise("timestamptz", precision),
        Type::Interval => ("interval".into(), vec![], 0),
        Type::Bytes => ("bytes".into(), vec![], 0),
        Type::Json => ("json".into(), vec![], 0),
        Type::Enum { name } | Type::Domain { name } => (name.clone(), vec![], 0),
        Type::Sql { .. } => ("sql".into(), vec![], 0),
        Type::Array { element } => {
            let (name, args, dims) = type_parts(element);
            (name, args, dims + 1)
        }
    }
}

/// An IR expression as source, parenthesised where precedence needs it.
/// Enum values are bare names where `entity` is known, else strings.
fn expr(e: &Expr, ir: &ir::Ir, entity: Option<&ir::Entity>) -> ast::Expr {
    let kind = match e {
        Expr::Null => ExprKind::Null,
        Expr::Bool { value } => ExprKind::Bool(*value),
        Expr::Int { value } => ExprKind::Int(value.clone()),
        Expr::Decimal { value } => ExprKind::Decimal(value.clone()),
        Expr::String { value } => ExprKind::String(value.clone()),
        Expr::Column { name } => ExprKind::Path(vec![ident(name)]),
        Expr::EnumValue { value, .. } if is_identifier(value) => ExprKind::Path(vec![ident(value)]),
        Expr::EnumValue { value, .. } => ExprKind::String(value.clone()),
        Expr::Context { name, .. } => ExprKind::Path(vec![ident("ctx"), ident(name)]),
        Expr::Param { name } => ExprKind::Param(name.clone()),
        Expr::Call { function, args } => {
            ExprKind::Call(ident(function), args.iter().map(|a| expr(a, ir, entity)).collect())
        }
        Expr::Sql { text } => ExprKind::Call(ident("sql"), vec![leaf(ExprKind::String(text.clone()))]),
        Expr::Array { items } => ExprKind::Array(items.iter().map(|a| expr(a, ir, entity)).collect()),
        Expr::Object { members } => {
            ExprKind::Object(members.iter().map(|(k, v)| (string(k), expr(v, ir, entity))).collect())
        }
        Expr::Not { expr: inner } => ExprKind::Unary(UnaryOp::Not, Box::new(operand(inner, ir, entity, 3))),
        Expr::Neg { expr: inner } => ExprKind::Unary(UnaryOp::Neg, Box::new(operand(inner, ir, entity, 8))),
        Expr::Binary { op, left, right } => {
            let op = binary(*op);
            let p = op.precedence();
            // Left-associative: the right operand needs parentheses at equal precedence.
            ExprKind::Binary(op, Box::new(operand(left, ir, entity, p)), Box::new(operand(right, ir, entity, p + 1)))
        }
        Expr::IsNull { expr: inner, negated } => {
            ExprKind::IsNull { expr: Box::new(operand(inner, ir, entity, 5)), negated: *negated }
        }
        Expr::InList { expr: inner, list, negated } => ExprKind::InList {
            expr: Box::new(operand(inner, ir, entity, 5)),
            list: list.iter().map(|a| expr(a, ir, entity)).collect(),
            negated: *negated,
        },
        Expr::Between { expr: inner, low, high, negated } => ExprKind::Between {
            expr: Box::new(operand(inner, ir, entity, 5)),
            low: Box::new(operand(low, ir, entity, 5)),
            high: Box::new(operand(high, ir, entity, 5)),
            negated: *negated,
        },
    };
    leaf(kind)
}

/// `e` as the operand of an operator binding at `precedence`: in
/// parentheses when it binds less tightly.
fn operand(e: &Expr, ir: &ir::Ir, entity: Option<&ir::Entity>, precedence: u8) -> ast::Expr {
    let raised = expr(e, ir, entity);
    if binding(&raised.kind) < precedence {
        leaf(ExprKind::Paren(Box::new(raised)))
    } else {
        raised
    }
}

/// How tightly an expression binds (higher binds tighter); atoms bind tightest.
fn binding(kind: &ExprKind) -> u8 {
    match kind {
        ExprKind::Binary(op, ..) => op.precedence(),
        ExprKind::Unary(UnaryOp::Not, _) => 3,
        ExprKind::IsNull { .. } | ExprKind::InList { .. } | ExprKind::Between { .. } => 4,
        ExprKind::Unary(UnaryOp::Neg, _) => 8,
        _ => u8::MAX,
    }
}

fn leaf(kind: ExprKind) -> ast::Expr {
    ast::Expr { kind, span: NO_SPAN }
}

fn binary(op: ir::BinaryOp) -> BinaryOp {
    match op {
        ir::BinaryOp::Or => BinaryOp::Or,
        ir::BinaryOp::And => BinaryOp::And,
        ir::BinaryOp::Eq => BinaryOp::Eq,
        ir::BinaryOp::Ne => BinaryOp::Ne,
        ir::BinaryOp::Lt => BinaryOp::Lt,
        ir::BinaryOp::Le => BinaryOp::Le,
        ir::BinaryOp::Gt => BinaryOp::Gt,
        ir::BinaryOp::Ge => BinaryOp::Ge,
        ir::BinaryOp::Match => BinaryOp::Match,
        ir::BinaryOp::Like => BinaryOp::Like,
        ir::BinaryOp::ILike => BinaryOp::ILike,
        ir::BinaryOp::Concat => BinaryOp::Concat,
        ir::BinaryOp::Add => BinaryOp::Add,
        ir::BinaryOp::Sub => BinaryOp::Sub,
        ir::BinaryOp::Mul => BinaryOp::Mul,
        ir::BinaryOp::Div => BinaryOp::Div,
        ir::BinaryOp::Rem => BinaryOp::Rem,
    }
}

/// Names already used, for importers choosing fresh ones.
pub fn fresh_name(taken: &BTreeSet<String>, base: &str) -> String {
    if !taken.contains(base) {
        return base.to_string();
    }
    (2..).map(|n| format!("{base}_{n}")).find(|n| !taken.contains(n)).expect("some number is free")
}

/// One `grant` per role, view or function and column list:
/// `grant select on CustomerView to r`, `grant execute on function f to r`.
fn object_grants(ir: &ir::Ir) -> Vec<Declaration> {
    type ObjectGroup<'i> = (&'i str, ir::GrantedObject, &'i str, Option<&'i Vec<String>>, Vec<PrivilegeKind>);
    let mut groups: Vec<ObjectGroup> = Vec::new();
    for g in &ir.object_grants {
        let kind = privilege_kind(g.privilege);
        let key = (g.role.as_str(), g.kind, g.object.as_str(), g.columns.as_ref());
        match groups.iter_mut().find(|(r, k, o, c, _)| (*r, *k, *o, *c) == key) {
            Some(group) => group.4.push(kind),
            None => groups.push((key.0, key.1, key.2, key.3, vec![kind])),
        }
    }
    groups
        .into_iter()
        .map(|(role, kind, object, columns, kinds)| {
            grant(role, object, kind == ir::GrantedObject::Function, columns, kinds)
        })
        .collect()
}

/// `grant KINDS [(columns)] on [function] OBJECT to ROLE`: one declaration
/// for the privileges one role holds on one object.
fn grant(
    role: &str,
    object: &str,
    on_functions: bool,
    columns: Option<&Vec<String>>,
    kinds: Vec<PrivilegeKind>,
) -> Declaration {
    Declaration::Grant(ast::Grant {
        privileges: kinds
            .into_iter()
            .map(|kind| Privilege {
                kind,
                columns: columns.map(|c| c.iter().map(|c| ident(c)).collect()),
                span: NO_SPAN,
            })
            .collect(),
        on_functions,
        objects: vec![ident(object)],
        roles: vec![ident(role)],
        span: NO_SPAN,
    })
}

/// The source's spelling of an IR privilege.
fn privilege_kind(privilege: ir::Privilege) -> PrivilegeKind {
    match privilege {
        ir::Privilege::Select => PrivilegeKind::Select,
        ir::Privilege::Insert => PrivilegeKind::Insert,
        ir::Privilege::Update => PrivilegeKind::Update,
        ir::Privilege::Delete => PrivilegeKind::Delete,
        ir::Privilege::References => PrivilegeKind::References,
        ir::Privilege::Truncate => PrivilegeKind::Truncate,
        ir::Privilege::Trigger => PrivilegeKind::Trigger,
        ir::Privilege::Execute => PrivilegeKind::Execute,
    }
}
