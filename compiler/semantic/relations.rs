//! Relations: checks both ends, adds the foreign key fields (`author_id`,
//! typed like the target's key, composite when it is), the foreign key, a
//! unique key for one-to-one, the junction entity for many-to-many, and the
//! navigation names on both sides.

use std::borrow::Cow;

use super::entity::{EntityBuild, Navigation, Pending};
use super::ir::{self, Origin, Type};
use super::lower::{doc, snake_case, Analyzer};
use crate::diagnostics::{codes, Diagnostic, FileId, Span};
use crate::syntax::ast::{self, Cardinality, Declaration, RelationItem};

/// A relation waiting to be lowered: declared, or copied from a pattern
/// (then `entity` is what `Self` means).
struct Job<'a> {
    relation: Cow<'a, ast::Relation>,
    file: FileId,
    origin: Origin,
    blame: Option<Span>,
    entity: Option<String>,
}

/// Whether an entity's key can be referred to yet.
enum KeyState {
    Ready,
    /// Named with relation fields whose relations are not lowered yet.
    Pending,
}

/// The written options of a relation body, checked for conflicts.
#[derive(Default)]
struct Options<'r> {
    required: bool,
    on_delete: Option<(ast::RefAction, Span)>,
    on_update: Option<(ast::RefAction, Span)>,
    deferrable: bool,
    through: Option<&'r ast::Through>,
    /// Names for the foreign key columns (`columns (…)`).
    columns: Option<&'r [ast::Ident]>,
    /// The foreign key constraint's database name (`constraint …`).
    constraint: Option<&'r ast::Ident>,
}

fn action(a: ast::RefAction) -> ir::RefAction {
    match a {
        ast::RefAction::Cascade => ir::RefAction::Cascade,
        ast::RefAction::Restrict => ir::RefAction::Restrict,
        ast::RefAction::SetNull => ir::RefAction::SetNull,
        ast::RefAction::SetDefault => ir::RefAction::SetDefault,
        ast::RefAction::NoAction => ir::RefAction::NoAction,
    }
}

impl<'a> Analyzer<'a> {
    pub(super) fn lower_relations(&mut self) {
        let mut jobs: Vec<Job<'a>> = self
            .declarations()
            .filter_map(|(file, d)| match d {
                Declaration::Relation(r) => {
                    Some(Job { relation: Cow::Borrowed(r), file, origin: Origin::Declared, blame: None, entity: None })
                }
                _ => None,
            })
            .collect();
        jobs.extend(self.pattern_relation_jobs());
        // Junctions first, so other relations may point at them; then retry
        // relations whose target key is made of relation fields not yet lowered.
        jobs.sort_by_key(|j| j.relation.cardinality != Cardinality::ManyToMany);
        let mut final_pass = false;
        loop {
            let before = jobs.len();
            let mut deferred = Vec::new();
            for job in jobs {
                if !self.lower_relation(&job, final_pass) {
                    deferred.push(job);
                }
            }
            // A junction made just now may apply patterns that declare
            // relations (`through Membership { apply tenant_scoped }`).
            let fresh = self.pattern_relation_jobs();
            if deferred.is_empty() && fresh.is_empty() || final_pass && fresh.is_empty() {
                break;
            }
            final_pass = fresh.is_empty() && deferred.len() == before;
            deferred.extend(fresh);
            jobs = deferred;
        }
    }

    /// The relations patterns declared on entities, not lowered yet.
    fn pattern_relation_jobs(&mut self) -> Vec<Job<'a>> {
        let mut jobs = Vec::new();
        for (name, build) in &mut self.entities {
            for r in build.pattern_relations.drain(..) {
                jobs.push(Job {
                    relation: Cow::Owned(r.relation),
                    file: r.file,
                    origin: Origin::Pattern { pattern: r.pattern },
                    blame: Some(r.blame),
                    entity: Some(name.clone()),
                });
            }
        }
        jobs
    }

    fn end_entity(&mut self, ident: &ast::Ident, self_entity: Option<&str>) -> Option<String> {
        let name = match (ident.name.as_str(), self_entity) {
            ("Self", Some(entity)) => entity.to_string(),
            ("Self", None) => {
                self.report(
                    Diagnostic::new(codes::E0111, "`Self` means the entity a pattern is applied to")
                        .at(ident.span, "only inside a pattern")
                        .help("name the entity"),
                );
                return None;
            }
            (name, _) => name.to_string(),
        };
        (name != ident.name || self.known_entity(ident)).then_some(name)
    }

    fn relation_options<'r>(&mut self, relation: &'r ast::Relation) -> Options<'r> {
        let mut options = Options::default();
        let mut seen: Vec<(&'static str, Span)> = Vec::new();
        for item in relation.body.iter().flatten() {
            let key = match item {
                RelationItem::Required(_) => "required",
                RelationItem::OnDelete(..) => "on delete",
                RelationItem::OnUpdate(..) => "on update",
                RelationItem::Deferrable(_) => "deferrable",
                RelationItem::Through(_) => "through",
                RelationItem::Columns(..) => "columns",
                RelationItem::Constraint(..) => "constraint",
            };
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                self.report(
                    Diagnostic::new(codes::E0304, format!("`{key}` is given twice"))
                        .at(item.span(), "given again")
                        .also(*first, "first given here"),
                );
                continue;
            }
            seen.push((key, item.span()));
            match item {
                RelationItem::Required(_) => options.required = true,
                RelationItem::OnDelete(a, s) => options.on_delete = Some((*a, *s)),
                RelationItem::OnUpdate(a, s) => options.on_update = Some((*a, *s)),
                RelationItem::Deferrable(_) => options.deferrable = true,
                RelationItem::Through(t) => options.through = Some(t),
                RelationItem::Columns(columns, _) => options.columns = Some(columns),
                RelationItem::Constraint(name, _) => options.constraint = Some(name),
            }
        }
        options
    }

    /// Lowers one relation; false when it must wait for another relation
    /// (its target's key is written with relation fields). Nothing is changed
    /// before that decision, so a deferred relation can simply be retried.
    fn lower_relation(&mut self, job: &Job, final_pass: bool) -> bool {
        let (relation, file, blame) = (job.relation.as_ref(), job.file, job.blame);
        let origin = job.origin.clone();
        let self_entity = job.entity.as_deref();
        let from = self.end_entity(&relation.from.entity, self_entity);
        let to = self.end_entity(&relation.to.entity, self_entity);
        let alternatives: Vec<Option<String>> =
            relation.alternatives.iter().map(|a| self.end_entity(&a.entity, self_entity)).collect();
        let (Some(from), Some(to)) = (from, to) else { return true };
        let Some(alternatives) = alternatives.into_iter().collect::<Option<Vec<String>>>() else { return true };
        let mut keyed: Vec<&str> = vec![&to];
        keyed.extend(alternatives.iter().map(String::as_str));
        if relation.cardinality == Cardinality::ManyToMany {
            keyed.push(&from);
        }
        if !final_pass && keyed.iter().any(|e| matches!(self.key_state(e), KeyState::Pending)) {
            return false;
        }
        let options = self.relation_options(relation);
        let Some(from_field) = &relation.from.field else {
            self.report(
                Diagnostic::new(codes::E0303, format!("the relation needs a field name on `{from}`"))
                    .at(relation.from.entity.span, "which field of this entity holds the relation?")
                    .help(format!("write `relation {from}.{} …`", snake_case(&to))),
            );
            return true;
        };
        let id = format!("relation:{from}.{}", from_field.name);
        let at = blame.unwrap_or(relation.span);
        self.source_map.spans.insert(id.clone(), relation.span);
        for (event, choice) in [("delete", options.on_delete), ("update", options.on_update)] {
            if let (Some((ast::RefAction::SetNull, span)), true) = (choice, options.required) {
                self.report(
                    Diagnostic::new(codes::E0301, format!("`on {event} set null` cannot apply to a required relation"))
                        .at(span, "would set a required field to null")
                        .help("drop `required`, or choose cascade or restrict"),
                );
                return true;
            }
        }
        if let (Some(columns), true) =
            (options.columns, relation.cardinality == Cardinality::ManyToMany || !alternatives.is_empty())
        {
            let span = columns.first().map_or(relation.span, |c| c.span);
            self.report(
                Diagnostic::new(codes::E0303, "`columns` names the foreign key of a `->` or `--` relation to one entity")
                    .at(span, "not for this relation")
                    .help("a many-to-many junction names its columns with its own fields; a relation to several entities keeps one key per target"),
            );
            return true;
        }
        if let (Some(name), true) =
            (options.constraint, relation.cardinality == Cardinality::ManyToMany || !alternatives.is_empty())
        {
            self.report(
                Diagnostic::new(codes::E0303, "`constraint` names the foreign key of a `->` or `--` relation to one entity")
                    .at(name.span, "not for this relation")
                    .help("this relation makes several foreign keys; declare the junction (or one relation per target) to name each"),
            );
            return true;
        }
        if let (Some(t), false) = (options.through, relation.cardinality == Cardinality::ManyToMany) {
            self.report(
                Diagnostic::new(codes::E0303, "`through` names the junction of a many-to-many relation")
                    .at(t.span, "only with `<->`")
                    .help("use `<->` for many-to-many, or remove `through`"),
            );
            return true;
        }
        if !alternatives.is_empty() && relation.cardinality != Cardinality::ManyToOne {
            self.report(
                Diagnostic::new(codes::E0303, "a relation to one of several entities must be many-to-one (`->`)")
                    .at(relation.span, "several targets")
                    .help(format!("write `relation {from}.{} -> {} | …`", from_field.name, to)),
            );
            return true;
        }
        if !self.claim_navigation(&from, from_field, blame) {
            return true;
        }
        let mut back_claimed = true;
        if let Some(back) = &relation.to.field {
            if from == to && back.name == from_field.name {
                self.report(
                    Diagnostic::new(codes::E0300, format!("both ends of the relation are `{from}.{}`", back.name))
                        .at(back.span, "give the back reference its own name"),
                );
                return true;
            }
            // A clash on the back name is reported; the relation itself still
            // holds, so nothing that uses its key is reported again.
            if !self.claim_navigation(&to, back, blame) {
                back_claimed = false;
            }
        }
        if !alternatives.is_empty() {
            for (end, entity) in relation.alternatives.iter().zip(&alternatives) {
                if let Some(back) = &end.field {
                    self.claim_navigation(entity, back, blame);
                }
            }
            return self.exclusive_arc(relation, &id, &from, from_field, &to, &alternatives, &options, origin);
        }
        let (holder, columns, junction) = match relation.cardinality {
            Cardinality::ManyToOne | Cardinality::OneToOne => {
                let Some(columns) = self.foreign_key(&from, &from_field.name, &to, &id, &options, relation, at) else {
                    return true;
                };
                if relation.cardinality == Cardinality::OneToOne {
                    if let Some(build) = self.entities.get_mut(&from) {
                        build.entity.uniques.push(ir::Unique {
                            name: None,
                            columns: columns.clone(),
                            predicate: None,
                            origin: Origin::Relation { relation: id.clone() },
                        });
                    }
                }
                if let Some(nav) = self.entities.get_mut(&from).and_then(|b| b.navigations.get_mut(&from_field.name)) {
                    nav.columns = columns.clone();
                }
                (from.clone(), columns, None)
            }
            Cardinality::ManyToMany => {
                let Some((junction, columns)) = self.junction(&from, &to, from_field, relation, &options, &id, file)
                else {
                    return true;
                };
                (junction.clone(), columns, Some(junction))
            }
        };
        let card = match relation.cardinality {
            Cardinality::ManyToOne => ir::Cardinality::ManyToOne,
            Cardinality::OneToOne => ir::Cardinality::OneToOne,
            Cardinality::ManyToMany => ir::Cardinality::ManyToMany,
        };
        self.ir.relations.push(ir::Relation {
            id,
            cardinality: card,
            from: ir::RelationEnd { entity: from, navigation: Some(from_field.name.clone()) },
            to: ir::RelationEnd {
                entity: to,
                navigation: relation.to.field.as_ref().filter(|_| back_claimed).map(|f| f.name.clone()),
            },
            alternatives: Vec::new(),
            required: options.required,
            holder,
            columns,
            junction,
            doc: doc(&relation.docs),
            origin,
        });
        true
    }

    /// A polymorphic relation: one nullable key per target and a check that
    /// exactly one (required) or at most one of them is set.
    #[allow(clippy::too_many_arguments)]
    fn exclusive_arc(
        &mut self,
        relation: &ast::Relation,
        id: &str,
        from: &str,
        from_field: &ast::Ident,
        first: &str,
        others: &[String],
        options: &Options,
        origin: Origin,
    ) -> bool {
        let optional_keys = Options {
            required: false,
            on_delete: options.on_delete,
            on_update: options.on_update,
            deferrable: options.deferrable,
            through: None,
            columns: None,
            constraint: None,
        };
        let targets: Vec<&str> = std::iter::once(first).chain(others.iter().map(String::as_str)).collect();
        let mut per_target = Vec::new();
        for target in &targets {
            let prefix = format!("{}_{}", from_field.name, snake_case(target));
            let Some(columns) = self.foreign_key(from, &prefix, target, id, &optional_keys, relation, relation.span)
            else {
                return true;
            };
            per_target.push(columns);
        }
        let set = |column: &str, negated: bool| ir::Expr::IsNull {
            expr: Box::new(ir::Expr::Column { name: column.to_string() }),
            negated,
        };
        let and = |l: ir::Expr, r: ir::Expr| ir::Expr::Binary {
            op: ir::BinaryOp::And,
            left: Box::new(l),
            right: Box::new(r),
        };
        let or =
            |l: ir::Expr, r: ir::Expr| ir::Expr::Binary { op: ir::BinaryOp::Or, left: Box::new(l), right: Box::new(r) };
        let only = |chosen: Option<usize>| {
            per_target
                .iter()
                .enumerate()
                .map(|(i, cols)| set(&cols[0], Some(i) == chosen))
                .reduce(and)
                .expect("at least two targets")
        };
        let mut arc = (0..per_target.len()).map(|i| only(Some(i))).reduce(or).expect("at least two targets");
        if !options.required {
            arc = or(arc, only(None));
        }
        let columns: Vec<String> = per_target.into_iter().flatten().collect();
        if let Some(build) = self.entities.get_mut(from) {
            build.entity.checks.push(ir::Check {
                name: Some(format!("{}_one_target", from_field.name)),
                field: None,
                expr: arc,
                origin: Origin::Relation { relation: id.to_string() },
            });
            if let Some(nav) = build.navigations.get_mut(&from_field.name) {
                nav.columns = columns.clone();
            }
        }
        let end = |e: &ast::RelationEnd, entity: &str| ir::RelationEnd {
            entity: entity.to_string(),
            navigation: e.field.as_ref().map(|f| f.name.clone()),
        };
        self.ir.relations.push(ir::Relation {
            id: id.to_string(),
            cardinality: ir::Cardinality::Polymorphic,
            from: ir::RelationEnd { entity: from.to_string(), navigation: Some(from_field.name.clone()) },
            to: end(&relation.to, first),
            alternatives: relation.alternatives.iter().zip(others).map(|(e, n)| end(e, n)).collect(),
            required: options.required,
            holder: from.to_string(),
            columns,
            junction: None,
            doc: doc(&relation.docs),
            origin,
        });
        true
    }

    /// Registers a navigation name; false (after reporting) when it is taken.
    /// `blame` is the `apply` line when the relation comes from a pattern.
    fn claim_navigation(&mut self, entity: &str, name: &ast::Ident, blame: Option<Span>) -> bool {
        let Some(build) = self.entities.get_mut(entity) else { return false };
        let existing = build.navigations.get(&name.name).map(|n| n.span).or_else(|| {
            // A field of the same name is fine only if it is this relation's own key column.
            build.field_span(&name.name)
        });
        if let Some(first) = existing {
            self.report(
                Diagnostic::new(
                    codes::E0300,
                    format!("`{entity}` already has a field or relation named `{}`", name.name),
                )
                .at(blame.unwrap_or(name.span), "this relation field")
                .also(first, "the existing one")
                .help("give the relation field a different name"),
            );
            return false;
        }
        build.navigations.insert(name.name.clone(), Navigation { columns: Vec::new(), span: name.span });
        true
    }

    /// The names an entity's key is written with (fields or relation fields).
    fn key_names(&self, entity: &str) -> Vec<String> {
        let Some(build) = self.entities.get(entity) else { return Vec::new() };
        let names: Vec<String> = build.primary_fields.iter().map(|(n, _)| n.clone()).collect();
        if !names.is_empty() {
            return names;
        }
        build
            .pending
            .iter()
            .find_map(|p| match &*p.member {
                ast::Member::Primary(k) => Some(k.columns.iter().map(|c| c.name.clone()).collect()),
                _ => None,
            })
            .or_else(|| build.implicit_key.clone())
            .unwrap_or_default()
    }

    fn key_state(&self, entity: &str) -> KeyState {
        let Some(build) = self.entities.get(entity) else { return KeyState::Ready };
        let unresolved = self.key_names(entity).iter().any(|n| {
            build.entity.field(n).is_none() && build.navigations.get(n).is_none_or(|nav| nav.columns.is_empty())
        });
        if unresolved {
            KeyState::Pending
        } else {
            KeyState::Ready
        }
    }

    /// The key columns of `entity` with their types, for foreign keys to it;
    /// relation fields in the key stand for their foreign key columns.
    fn key_of(&mut self, entity: &str) -> Option<Vec<(String, Type)>> {
        let names = self.key_names(entity);
        let build = self.entities.get(entity)?;
        let mut key = Vec::new();
        for name in &names {
            let columns = match build.navigations.get(name).filter(|n| !n.columns.is_empty()) {
                Some(nav) => nav.columns.clone(),
                None => vec![name.clone()],
            };
            for column in columns {
                let field = build.entity.field(&column)?;
                key.push((column, field.ty.clone()));
            }
        }
        Some(key).filter(|k| !k.is_empty())
    }

    #[allow(clippy::too_many_arguments)]
    fn foreign_key(
        &mut self,
        from: &str,
        field: &str,
        to: &str,
        id: &str,
        options: &Options,
        relation: &ast::Relation,
        at: Span,
    ) -> Option<Vec<String>> {
        let Some(key) = self.key_of(to) else {
            self.report(
                Diagnostic::new(codes::E0302, format!("`{to}` has no primary key to refer to"))
                    .at(relation.to.entity.span, "target without a key")
                    .help(format!("give `{to}` a key, e.g. `id bigint = identity primary`")),
            );
            return None;
        };
        if let Some(names) = options.columns.filter(|names| names.len() != key.len()) {
            let span = names.first().map_or(at, |n| n.span);
            self.report(
                Diagnostic::new(
                    codes::E0303,
                    format!("`{to}` has a key of {} column(s); `columns` names {}", key.len(), names.len()),
                )
                .at(span, "one name per key column")
                .help(format!(
                    "name them in the key's order: ({})",
                    key.iter().map(|(k, _)| format!("{field}_{k}")).collect::<Vec<_>>().join(", ")
                )),
            );
            return None;
        }
        let mut columns = Vec::new();
        for (i, (key_name, ty)) in key.iter().enumerate() {
            let column = match options.columns {
                Some(names) => names[i].name.clone(),
                None => format!("{field}_{key_name}"),
            };
            let build = self.entities.get_mut(from).expect("entity checked");
            if let Some(existing) = build.entity.fields.iter_mut().find(|f| f.name == column) {
                if existing.ty != *ty {
                    let first = build.field_span(&column).unwrap_or(at);
                    self.report(
                        Diagnostic::new(
                            codes::E0300,
                            format!("`{from}.{column}` exists but is not typed like `{to}.{key_name}`"),
                        )
                        .at(first, "the relation would use this field as its foreign key")
                        .also(at, "relation declared here")
                        .help("give the field the key's type, or remove it and let the relation create it"),
                    );
                    return None;
                }
                existing.nullable = existing.nullable && !options.required;
            } else {
                let field_id = format!("field:{from}.{column}");
                self.source_map.spans.insert(field_id.clone(), at);
                build.push_field(
                    ir::Field {
                        id: field_id,
                        serial: false,
                        name: column.clone(),
                        column: column.clone(),
                        ty: ty.clone(),
                        nullable: !options.required,
                        default: None,
                        identity: false,
                        identity_always: false,
                        generated: None,
                        pii: None,
                        doc: None,
                        renamed_from: None,
                        denormalized_from: None,
                        origin: Origin::Relation { relation: id.to_string() },
                    },
                    at,
                );
            }
            columns.push(column);
        }
        let build = self.entities.get_mut(from).expect("entity checked");
        build.entity.foreign_keys.push(ir::ForeignKey {
            relation: id.to_string(),
            columns: columns.clone(),
            references: to.to_string(),
            referenced_columns: key.iter().map(|(k, _)| k.clone()).collect(),
            on_delete: options.on_delete.map_or(ir::RefAction::NoAction, |(a, _)| action(a)),
            on_update: options.on_update.map_or(ir::RefAction::NoAction, |(a, _)| action(a)),
            deferrable: options.deferrable,
            name: options.constraint.map(|n| n.name.clone()),
        });
        Some(columns)
    }

    /// Creates (or completes) the junction entity of a many-to-many relation.
    #[allow(clippy::too_many_arguments)]
    fn junction(
        &mut self,
        from: &str,
        to: &str,
        from_field: &ast::Ident,
        relation: &ast::Relation,
        options: &Options,
        id: &str,
        file: FileId,
    ) -> Option<(String, Vec<String>)> {
        let through = options.through;
        let name = through.map_or(format!("{from}{to}"), |t| t.entity.name.clone());
        let name_span = through.map_or(relation.span, |t| t.entity.span);
        let exists = self.entities.contains_key(&name);
        if exists && through.is_some_and(|t| t.members.is_some()) {
            let first = self.entities[&name].name_span;
            self.report(
                Diagnostic::new(codes::E0100, format!("junction `{name}` is also declared as an entity"))
                    .at(name_span, "declared here with a body")
                    .also(first, "and here")
                    .help("keep one: either the entity or the `through` body"),
            );
            return None;
        }
        if !exists {
            let mut build = EntityBuild::new(&name, name_span, None, Origin::Relation { relation: id.to_string() });
            self.source_map.spans.insert(build.entity.id.clone(), name_span);
            if let Some(members) = through.and_then(|t| t.members.as_ref()) {
                let pending = members
                    .iter()
                    .map(|m| Pending {
                        member: Cow::Owned(m.clone()),
                        file,
                        origin: Origin::Declared,
                        blame: None,
                        field: None,
                    })
                    .collect();
                self.lower_members(&mut build, pending, &mut Vec::new());
            }
            self.entities.insert(name.clone(), build);
        }
        let back = relation.to.field.as_ref().map_or(snake_case(to), |b| b.name.clone());
        let (from_prefix, to_prefix) =
            if from == to { (back, from_field.name.clone()) } else { (snake_case(from), snake_case(to)) };
        let junction_options = Options {
            required: true,
            on_delete: Some((options.on_delete.map_or(ast::RefAction::Cascade, |(a, _)| a), relation.span)),
            on_update: options.on_update,
            deferrable: options.deferrable,
            through: None,
            columns: None,
            constraint: None,
        };
        let from_columns =
            self.foreign_key(&name, &from_prefix, from, id, &junction_options, relation, relation.span)?;
        let to_columns = self.foreign_key(&name, &to_prefix, to, id, &junction_options, relation, relation.span)?;
        let mut columns = from_columns.clone();
        columns.extend(to_columns.iter().cloned());
        if let Some(build) = self.entities.get_mut(&name) {
            // The junction can be navigated to both ends: Membership.user, Membership.team.
            for (navigation, cols) in [(from_prefix, from_columns), (to_prefix, to_columns)] {
                if build.field_span(&navigation).is_none() {
                    build.navigations.entry(navigation).or_insert(Navigation { columns: cols, span: relation.span });
                }
            }
            if build.implicit_key.is_none() {
                build.implicit_key = Some(columns.clone());
            }
        }
        Some((name, columns))
    }
}
