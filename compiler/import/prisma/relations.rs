//! Relations: Prisma's relation fields paired up and lowered to IR
//! relations with their foreign keys, and implicit many-to-many relations
//! to explicit junction entities.
//!
//! A field with `@relation(fields: […], references: […])` holds the foreign
//! key; its opposite field (same relation name, on the other model) is the
//! back reference. Two list fields without `fields:` are an implicit
//! many-to-many relation: Prisma's table `_AToB` with columns `A` and `B`
//! becomes an entity with those storage names, so an existing database
//! matches. Referential actions default as Prisma's do (onDelete: SetNull
//! when the key is optional, Restrict when required; onUpdate: Cascade).
//!
//! With `relationMode = "prisma"` the database has no foreign keys, and the
//! language has no unenforced relation: the key fields stay plain fields
//! and one W1002 lists what was not imported. A relation that does not
//! refer to its target's primary key, which the language requires, is
//! likewise kept as plain fields (W1005).

use std::collections::BTreeMap;

use super::ast::{Arity, Attribute, Field, Value};
use super::lower::Lowering;
use super::model::{map_argument, ModelBuild};
use super::names::{self, keep_if_not_default, language_name, Namespace};
use crate::diagnostics::{codes, did_you_mean, Diagnostic, Span};
use crate::semantic::ir::{
    self, Cardinality, Expr, ForeignKey, Index, IndexKey, IndexMethod, Origin, RefAction, Relation, RelationEnd, Type,
};
use crate::semantic::snake_case;

/// One relation field and what its `@relation` says.
struct RelationField<'s> {
    /// Index of its model in the builds.
    model: usize,
    field: &'s Field,
    target: usize,
    name: Option<String>,
    fields: Option<Vec<(String, Span)>>,
    references: Option<Vec<(String, Span)>>,
    on_delete: Option<(RefAction, Span)>,
    on_update: Option<(RefAction, Span)>,
    attribute: Option<&'s Attribute>,
    used: bool,
}

impl RelationField<'_> {
    fn list(&self) -> bool {
        self.field.ty.arity == Arity::List
    }

    fn holds_key(&self) -> bool {
        self.fields.is_some() || self.references.is_some()
    }
}

impl<'s> Lowering<'s> {
    /// Every relation, and the junction entities of implicit many-to-many
    /// relations. Foreign keys go onto the holders' entities in `builds`.
    pub fn relations(&mut self, builds: &mut [ModelBuild<'s>]) -> (Vec<Relation>, Vec<ir::Entity>) {
        let index: BTreeMap<String, usize> =
            builds.iter().enumerate().map(|(i, b)| (b.entity.name.clone(), i)).collect();
        let mut fields = Vec::new();
        for (i, build) in builds.iter().enumerate() {
            for field in &build.relation_fields {
                // A target that was not imported has been reported already.
                if let Some(&target) = index.get(&field.ty.name.text) {
                    fields.push(self.relation_field(i, field, target));
                }
            }
        }
        let mut relations = Vec::new();
        let mut junctions = Vec::new();
        let mut not_enforced = Vec::new();
        for h in 0..fields.len() {
            if !fields[h].holds_key() {
                continue;
            }
            fields[h].used = true;
            let back = (0..fields.len()).find(|&c| {
                let (holder, other) = (&fields[h], &fields[c]);
                c != h
                    && !other.used
                    && !other.holds_key()
                    && other.model == holder.target
                    && other.target == holder.model
                    && other.name == holder.name
            });
            if let Some(c) = back {
                fields[c].used = true;
            }
            let back = back.map(|c| &fields[c]);
            if let Some(relation) = self.one_to_many(builds, &fields[h], back, &mut not_enforced) {
                relations.push(relation);
            }
        }
        for r in 0..fields.len() {
            if fields[r].used {
                continue;
            }
            fields[r].used = true;
            let other = (0..fields.len()).find(|&c| {
                let (one, other) = (&fields[r], &fields[c]);
                !other.used && other.model == one.target && other.target == one.model && other.name == one.name
            });
            let Some(c) = other else {
                self.unpaired(builds, &fields[r]);
                continue;
            };
            fields[c].used = true;
            if !(fields[r].list() && fields[c].list()) {
                let (one, other) = (&fields[r], &fields[c]);
                self.report(
                    Diagnostic::new(
                        codes::E1002,
                        format!(
                            "neither `{}.{}` nor `{}.{}` says which fields hold the key",
                            builds[one.model].entity.name,
                            one.field.name.text,
                            builds[other.model].entity.name,
                            other.field.name.text
                        ),
                    )
                    .at(one.field.span, "one end")
                    .also(other.field.span, "the other end")
                    .help("give the side that stores the key `@relation(fields: [...], references: [id])`"),
                );
                continue;
            }
            let taken: Vec<String> = junctions.iter().map(|j: &ir::Entity| j.name.clone()).collect();
            if let Some((junction, pair)) =
                self.many_to_many(builds, (&fields[r], &fields[c]), &taken, &mut not_enforced)
            {
                junctions.push(junction);
                relations.extend(pair);
            }
        }
        if let (Some(span), false) = (self.prisma_relations, not_enforced.is_empty()) {
            let mut d = Diagnostic::new(
                codes::W1002,
                format!(
                    "{} relation{} not imported: with `relationMode = \"prisma\"` the database has no foreign keys",
                    not_enforced.len(),
                    if not_enforced.len() == 1 { " is" } else { "s are" }
                ),
            )
            .at(span, "Prisma Client emulates the relations; the database does not enforce them");
            for relation in &not_enforced {
                d = d.note(relation.clone());
            }
            self.report(d.note("their key fields are imported as plain fields, with the indexes the schema declares").help(
                "to have the database enforce them, declare each as a `relation` in the imported schema (it adds the foreign keys)",
            ));
        }
        (relations, junctions)
    }

    fn relation_field(&mut self, model: usize, field: &'s Field, target: usize) -> RelationField<'s> {
        let mut relation = RelationField {
            model,
            field,
            target,
            name: None,
            fields: None,
            references: None,
            on_delete: None,
            on_update: None,
            attribute: None,
            used: false,
        };
        for attribute in &field.attributes {
            if attribute.name.text != "relation" {
                self.report(
                    Diagnostic::new(
                        codes::W1000,
                        format!(
                            "`@{}` on the relation field `{}` is not imported",
                            attribute.name.text, field.name.text
                        ),
                    )
                    .at(attribute.span, "not imported"),
                );
                continue;
            }
            relation.attribute = Some(attribute);
            relation.name = attribute.arg("name", true).and_then(|a| a.value.as_str()).map(str::to_string);
            relation.fields = attribute.arg("fields", false).and_then(|a| self.names_list(&a.value, "`fields:`"));
            relation.references =
                attribute.arg("references", false).and_then(|a| self.names_list(&a.value, "`references:`"));
            relation.on_delete = attribute.arg("onDelete", false).and_then(|a| self.action(&a.value));
            relation.on_update = attribute.arg("onUpdate", false).and_then(|a| self.action(&a.value));
            for arg in &attribute.args {
                let known = ["name", "fields", "references", "onDelete", "onUpdate", "map"];
                match &arg.name {
                    Some(n) if !known.contains(&n.text.as_str()) => self.report(
                        Diagnostic::new(codes::W1000, format!("`{}:` of `@relation` is not imported", n.text))
                            .at(arg.span, "not imported")
                            .note("the importer does not know this argument"),
                    ),
                    _ => {}
                }
            }
        }
        relation
    }

    fn action(&mut self, value: &Value) -> Option<(RefAction, Span)> {
        let action = match value {
            Value::Name(name) => match name.text.as_str() {
                "Cascade" => RefAction::Cascade,
                "Restrict" => RefAction::Restrict,
                "NoAction" => RefAction::NoAction,
                "SetNull" => RefAction::SetNull,
                "SetDefault" => RefAction::SetDefault,
                _ => {
                    self.report(
                        Diagnostic::new(codes::E1002, format!("`{}` is not a referential action", name.text))
                            .at(name.span, "unknown action")
                            .help("write Cascade, Restrict, NoAction, SetNull or SetDefault"),
                    );
                    return None;
                }
            },
            other => {
                self.report(
                    Diagnostic::new(codes::E1002, "a referential action is a name such as `Cascade`")
                        .at(other.span(), format!("{} here", other.describe())),
                );
                return None;
            }
        };
        Some((action, value.span()))
    }

    /// A relation field nothing pairs with: Prisma refuses it.
    fn unpaired(&mut self, builds: &[ModelBuild], field: &RelationField) {
        let (model, target) = (&builds[field.model].entity.name, &builds[field.target].entity.name);
        let named = field.name.as_ref().map_or(String::new(), |n| format!(" named \"{n}\""));
        self.report(
            Diagnostic::new(
                codes::E1002,
                format!("`{model}.{}` has no opposite relation field{named} on `{target}`", field.field.name.text),
            )
            .at(field.field.span, "one end of a relation")
            .help(format!("add the other end to `{target}` (Prisma needs both), naming the relation the same on both")),
        );
    }

    /// A language name for a navigation of `build`, reported when it is not
    /// the Prisma name in snake_case.
    fn navigation(&mut self, build: &mut ModelBuild, field: &Field) -> String {
        let name = build.names.claim(&language_name(&field.name.text));
        if name != snake_case(&field.name.text) {
            self.report(
                Diagnostic::new(
                    codes::W1006,
                    format!(
                        "relation field `{}.{}` is called `{name}` in the language",
                        build.entity.name, field.name.text
                    ),
                )
                .at(field.name.span, "renamed")
                .note("its snake_case name is a field's name already, or not a name the language can use"),
            );
        }
        name
    }

    /// Resolves Prisma field names to `build`'s language names (E1001 for
    /// one it lacks).
    fn resolve(&mut self, build: &ModelBuild, names: &[(String, Span)]) -> Option<Vec<String>> {
        let mut out = Vec::new();
        for (name, span) in names {
            match build.fields.get(name) {
                Some(field) => out.push(field.clone()),
                None => {
                    let mut d =
                        Diagnostic::new(codes::E1001, format!("`{}` has no scalar field `{name}`", build.entity.name))
                            .at(*span, "unknown field");
                    if let Some(s) = did_you_mean(name, build.fields.keys().map(String::as_str)) {
                        d = d.help(format!("did you mean `{s}`?"));
                    }
                    self.report(d);
                    return None;
                }
            }
        }
        Some(out)
    }

    /// A relation whose holder names its key fields: many-to-one, or
    /// one-to-one when the other end is not a list (or the key is unique).
    fn one_to_many(
        &mut self,
        builds: &mut [ModelBuild],
        holder: &RelationField,
        back: Option<&RelationField>,
        not_enforced: &mut Vec<String>,
    ) -> Option<Relation> {
        let (written, columns, key) = self.key_pairs(builds, holder, not_enforced)?;
        let (from, to) = (builds[holder.model].entity.name.clone(), builds[holder.target].entity.name.clone());
        let holder_entity = &builds[holder.model].entity;
        let required = columns.iter().all(|c| holder_entity.field(c).is_some_and(|f| !f.nullable));
        let cardinality = match back {
            Some(b) if b.list() => Cardinality::ManyToOne,
            Some(_) => Cardinality::OneToOne,
            None if is_unique(holder_entity, &columns) => Cardinality::OneToOne,
            None => Cardinality::ManyToOne,
        };
        let table = holder_entity.table.clone();
        let storage = |fields: &[String]| fields.iter().map(|c| holder_entity.column_of(c)).collect::<Vec<_>>();
        // Prisma names the key after its fields as written; schemac after
        // them in the order of the target's key.
        let prisma_name = holder
            .attribute
            .and_then(map_argument)
            .unwrap_or_else(|| names::constraint(&table, &storage(&written), "fkey"));
        let name = keep_if_not_default(prisma_name, &table, &storage(&columns), "fkey");
        let navigation = self.navigation(&mut builds[holder.model], holder.field);
        let back_navigation = back.map(|b| self.navigation(&mut builds[holder.target], b.field));
        let id = format!("relation:{from}.{navigation}");
        let default_delete = if required { RefAction::Restrict } else { RefAction::SetNull };
        builds[holder.model].entity.foreign_keys.push(ForeignKey {
            relation: id.clone(),
            columns: columns.clone(),
            references: to.clone(),
            referenced_columns: key,
            on_delete: holder.on_delete.map_or(default_delete, |(a, _)| a),
            on_update: holder.on_update.map_or(RefAction::Cascade, |(a, _)| a),
            deferrable: false,
            name,
        });
        Some(Relation {
            id,
            cardinality,
            from: RelationEnd { entity: from.clone(), navigation: Some(navigation) },
            to: RelationEnd { entity: to, navigation: back_navigation },
            alternatives: Vec::new(),
            required,
            holder: from,
            columns,
            junction: None,
            doc: (!holder.field.doc.is_empty()).then(|| holder.field.doc.join("\n")),
            origin: Origin::Declared,
        })
    }

    /// The holder's key fields as written and in the order of the target's
    /// primary key, and that key — when the relation can be one of the
    /// language's: its
    /// `fields:` and `references:` pair up (else E1002/E1001), the database
    /// enforces it (else it joins `not_enforced`), it refers to the primary
    /// key with fields of the key's types (else W1005).
    fn key_pairs(
        &mut self,
        builds: &[ModelBuild],
        holder: &RelationField,
        not_enforced: &mut Vec<String>,
    ) -> Option<(Vec<String>, Vec<String>, Vec<String>)> {
        let (from, to) = (&builds[holder.model].entity.name, &builds[holder.target].entity.name);
        let at = holder.attribute.map_or(holder.field.span, |a| a.span);
        let prisma = format!("{from}.{}", holder.field.name.text);
        let (Some(fields), Some(references)) = (&holder.fields, &holder.references) else {
            self.report(
                Diagnostic::new(codes::E1002, format!("`{prisma}` needs both `fields:` and `references:`"))
                    .at(at, "one of them is missing")
                    .help("write `@relation(fields: [otherId], references: [id])`"),
            );
            return None;
        };
        if fields.len() != references.len() || fields.is_empty() {
            self.report(
                Diagnostic::new(
                    codes::E1002,
                    format!("`{prisma}` lists {} field(s) and {} reference(s)", fields.len(), references.len()),
                )
                .at(at, "one reference per field")
                .help("pair each key field with the target field it refers to"),
            );
            return None;
        }
        let columns = self.resolve(&builds[holder.model], fields)?;
        let referenced = self.resolve(&builds[holder.target], references)?;
        let names = |list: &[(String, Span)]| list.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ");
        let described = format!("`{prisma}` → `{to}` ({} → {})", names(fields), names(references));
        if self.prisma_relations.is_some() {
            not_enforced.push(described);
            return None;
        }
        let key = builds[holder.target].entity.primary_key.clone();
        if !same_set(&referenced, &key) {
            self.report(
                Diagnostic::new(
                    codes::W1005,
                    format!("{described} refers to fields other than `{to}`'s primary key: its fields are imported, not the relation"),
                )
                .at(at, "not the primary key")
                .note("a relation of the language always refers to its target's primary key")
                .help("declare the foreign key in a hand-written migration, or refer to the primary key"),
            );
            return None;
        }
        // In the key's order, as the language builds the foreign key.
        let ordered: Vec<String> =
            key.iter().filter_map(|k| referenced.iter().position(|r| r == k).map(|i| columns[i].clone())).collect();
        for (column, key_field) in ordered.iter().zip(&key) {
            let ty = |b: &ModelBuild, f: &str| b.entity.field(f).map(|f| f.ty.clone());
            if ty(&builds[holder.model], column) != ty(&builds[holder.target], key_field) {
                self.report(
                    Diagnostic::new(
                        codes::W1005,
                        format!("{described}: `{from}.{column}` is not typed like `{to}.{key_field}`; its fields are imported, not the relation"),
                    )
                    .at(at, "key types differ")
                    .note("a relation of the language reuses a key field only when its type is the primary key's")
                    .help("give both fields the same type (and `@db` native type)"),
                );
                return None;
            }
        }
        Some((columns, ordered, key))
    }

    /// An implicit many-to-many relation: Prisma's `_AToB` table as an
    /// entity with fields `a`, `b` (columns `A`, `B`), keyed by both, with
    /// an index on `B` and a cascading foreign key per column; the model's
    /// list field becomes the back reference of its end.
    fn many_to_many(
        &mut self,
        builds: &mut [ModelBuild],
        (one, other): (&RelationField, &RelationField),
        taken: &[String],
        not_enforced: &mut Vec<String>,
    ) -> Option<(ir::Entity, Vec<Relation>)> {
        let name_of = |f: &RelationField| builds[f.model].entity.name.clone();
        // Column A refers to the model first in alphabetical order; on a
        // self-relation, the field first in alphabetical order lists the
        // rows its own row is `B` of.
        let (a_side, b_side) = if name_of(one) < name_of(other)
            || (name_of(one) == name_of(other) && one.field.name.text > other.field.name.text)
        {
            (one, other)
        } else {
            (other, one)
        };
        let (a_model, b_model) = (a_side.model, b_side.model);
        let relation_name = a_side
            .name
            .clone()
            .unwrap_or_else(|| format!("{}To{}", builds[a_model].entity.name, builds[b_model].entity.name));
        let table = format!("_{relation_name}");
        let mut keys = Vec::new();
        for (side, model) in [(a_side, a_model), (b_side, b_model)] {
            let entity = &builds[model].entity;
            let key = entity.primary_key.first().filter(|_| entity.primary_key.len() == 1);
            let Some(field) = key.and_then(|k| entity.field(k)) else {
                self.report(
                    Diagnostic::new(
                        codes::E1002,
                        format!(
                            "the implicit many-to-many relation `{table}` needs a single-field `@id` on `{}`",
                            entity.name
                        ),
                    )
                    .at(side.field.span, "many-to-many through a table Prisma makes")
                    .help("declare the relation table as a model of its own (an explicit many-to-many relation)"),
                );
                return None;
            };
            keys.push((field.name.clone(), field.ty.clone()));
        }
        let mut entity_name = relation_name.trim_start_matches('_').to_string();
        if entity_name.is_empty() || entity_name.starts_with(|c: char| c.is_ascii_digit()) {
            entity_name.insert_str(0, "Link");
        }
        // Entities share the language's one namespace with enums.
        while self.models.contains_key(entity_name.as_str())
            || self.enums.contains_key(entity_name.as_str())
            || taken.contains(&entity_name)
        {
            entity_name.push_str("Link");
        }
        let mut junction = junction_entity(&entity_name, &table, &keys[0].1, &keys[1].1);
        self.report(
            Diagnostic::new(codes::W1008, format!("`{table}` is imported keyed as Prisma 6 keys it"))
                .at(a_side.field.span, "implicit many-to-many relation")
                .note(format!("primary key `{table}_AB_pkey` on (A, B); Prisma before version 6 made a unique index `{table}_AB_unique` instead"))
                .help("if the database was made by an older Prisma, rename or replace that index before applying the imported schema"),
        );
        let described = format!(
            "`{}.{}` ↔ `{}.{}` (table `{table}`)",
            builds[a_model].entity.name, a_side.field.name.text, builds[b_model].entity.name, b_side.field.name.text
        );
        if self.prisma_relations.is_some() {
            not_enforced.push(described);
            return Some((junction, Vec::new()));
        }
        let mut relations = Vec::new();
        // The fields are `a` and `b`; each navigation is named after the
        // entity it leads to (`category`, `post`; `user`, `user_2` on a
        // self-relation).
        let mut junction_names = Namespace::default();
        junction_names.claim("a");
        junction_names.claim("b");
        for (field, column, side, model, key) in
            [("a", "A", a_side, a_model, &keys[0].0), ("b", "B", b_side, b_model, &keys[1].0)]
        {
            let navigation = junction_names.claim(&language_name(&builds[model].entity.name));
            let id = format!("relation:{entity_name}.{navigation}");
            let back = self.navigation(&mut builds[model], side.field);
            junction.foreign_keys.push(ForeignKey {
                relation: id.clone(),
                columns: vec![field.into()],
                references: builds[model].entity.name.clone(),
                referenced_columns: vec![key.clone()],
                on_delete: RefAction::Cascade,
                on_update: RefAction::Cascade,
                deferrable: false,
                name: keep_if_not_default(format!("{table}_{column}_fkey"), &table, &[column.to_string()], "fkey"),
            });
            relations.push(Relation {
                id,
                cardinality: Cardinality::ManyToOne,
                from: RelationEnd { entity: entity_name.clone(), navigation: Some(navigation) },
                to: RelationEnd { entity: builds[model].entity.name.clone(), navigation: Some(back) },
                alternatives: Vec::new(),
                required: true,
                holder: entity_name.clone(),
                columns: vec![field.into()],
                junction: None,
                doc: (!side.field.doc.is_empty()).then(|| side.field.doc.join("\n")),
                origin: Origin::Declared,
            });
        }
        Some((junction, relations))
    }
}

/// Whether both lists hold the same names, in any order.
fn same_set(a: &[String], b: &[String]) -> bool {
    let sorted = |list: &[String]| {
        let mut list = list.to_vec();
        list.sort();
        list
    };
    sorted(a) == sorted(b)
}

/// Whether `columns` are unique in `entity`: its primary key, a unique
/// constraint or a unique index without a condition.
fn is_unique(entity: &ir::Entity, columns: &[String]) -> bool {
    let index_columns = |i: &Index| -> Vec<String> {
        i.keys
            .iter()
            .filter_map(|k| match &k.expr {
                Expr::Column { name } => Some(name.clone()),
                _ => None,
            })
            .collect()
    };
    same_set(&entity.primary_key, columns)
        || entity.uniques.iter().any(|u| u.predicate.is_none() && same_set(&u.columns, columns))
        || entity.indexes.iter().any(|i| i.unique && i.predicate.is_none() && same_set(&index_columns(i), columns))
}

/// Prisma's implicit many-to-many table: fields `a` and `b` (columns `A`
/// and `B`, typed like the keys they refer to), the primary key
/// `<table>_AB_pkey` on both and the index `<table>_B_index`.
fn junction_entity(name: &str, table: &str, a: &Type, b: &Type) -> ir::Entity {
    let field = |field: &str, column: &str, ty: &Type| ir::Field {
        id: format!("field:{name}.{field}"),
        name: field.into(),
        column: column.into(),
        ty: ty.clone(),
        nullable: false,
        default: None,
        identity: false,
        identity_always: false,
        serial: false,
        generated: None,
        pii: None,
        doc: None,
        renamed_from: None,
        denormalized_from: None,
        origin: Origin::Declared,
    };
    // Prisma writes no comment on the table; the import adds none.
    ir::Entity {
        fields: vec![field("a", "A", a), field("b", "B", b)],
        primary_key: vec!["a".into(), "b".into()],
        primary_key_name: keep_if_not_default(format!("{table}_AB_pkey"), table, &[], "pkey"),
        indexes: vec![Index {
            name: keep_if_not_default(format!("{table}_B_index"), table, &["B".to_string()], "idx"),
            unique: false,
            keys: vec![IndexKey { expr: Expr::Column { name: "b".into() }, descending: false, nulls_first: None }],
            include: Vec::new(),
            predicate: None,
            method: IndexMethod::Btree,
            origin: Origin::Declared,
        }],
        ..ir::Entity::new(name, table, None, Origin::Declared)
    }
}
