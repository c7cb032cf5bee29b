//! One Prisma model as one entity: its scalar fields in order (with their
//! storage names, types, defaults and docs), its primary key and its
//! indexes (`@unique` is a unique index, as Prisma makes it), with the
//! names Prisma gives them when schemac would give others.
//!
//! Relation fields (typed with another model) are set aside for the
//! relations phase; fields of views and composite types are warned about
//! and left out. This module does not pair relations.

use std::collections::BTreeMap;

use super::ast::{Arity, Attribute, Field, Model, Value};
use super::defaults::{self, Default, FieldKind};
use super::lower::Lowering;
use super::names::{self, keep_if_not_default, language_name, Namespace};
use super::types::{self, Native, Scalar};
use crate::diagnostics::{codes, did_you_mean, Diagnostic, Span};
use crate::semantic::ir::{self, Expr, Index, IndexKey, IndexMethod, Origin, Type};
use crate::semantic::snake_case;
use crate::semantic::types::type_text;

/// A model being lowered, kept for the relations phase.
pub struct ModelBuild<'s> {
    pub entity: ir::Entity,
    /// Prisma name → language name of every imported scalar field.
    pub fields: BTreeMap<String, String>,
    /// The entity's field and navigation names.
    pub names: Namespace,
    /// Fields whose type is another model.
    pub relation_fields: Vec<&'s Field>,
}

impl ModelBuild<'_> {
    /// The storage name of a field, by language name.
    pub fn column(&self, field: &str) -> String {
        self.entity.column_of(field)
    }
}

/// What a field's type names.
enum Kind {
    Scalar(Scalar),
    Enum(String),
    Model,
    Skipped(&'static str),
    /// `Unsupported("…")` and the language's type for it, if it has one.
    Unsupported(String, Option<Type>),
    Unknown,
}

/// A field named in `@@id`, `@@unique` or `@@index`.
struct KeyPart {
    field: String,
    column: String,
    descending: bool,
}

/// A scalar field's column, as attributes and defaults need it.
struct Column {
    /// `Model.field`, as Prisma names it, for messages.
    prisma: String,
    scalar: Option<Scalar>,
    /// The type of the column, or of its elements when `list`.
    element: Type,
    list: bool,
}

/// The primary key as declared: fields, `map:` name, where.
struct PrimaryKey {
    fields: Vec<String>,
    map: Option<String>,
    span: Span,
}

impl<'s> Lowering<'s> {
    pub fn model(&mut self, model: &'s Model) -> Option<ModelBuild<'s>> {
        let name = model.name.text.clone();
        let table = match model.attribute("map") {
            Some(attribute) => match attribute.arg("name", true).and_then(|a| a.value.as_str()) {
                Some(mapped) => mapped.to_string(),
                None => {
                    self.report(
                        Diagnostic::new(codes::E1002, "`@@map` takes the table's name as a string")
                            .at(attribute.span, "write `@@map(\"name\")`"),
                    );
                    name.clone()
                }
            },
            None => name.clone(),
        };
        let doc = (!model.doc.is_empty()).then(|| model.doc.join("\n"));
        let entity = ir::Entity::new(&name, &table, doc, Origin::Declared);
        let mut build =
            ModelBuild { entity, fields: BTreeMap::new(), names: Namespace::default(), relation_fields: Vec::new() };
        let mut primary: Option<PrimaryKey> = None;
        for field in &model.fields {
            self.field(&mut build, field, &mut primary);
        }
        for attribute in &model.attributes {
            self.model_attribute(&mut build, attribute, &mut primary);
        }
        let ignored = model.attribute("ignore").is_some();
        let Some(primary) = primary else {
            if ignored {
                self.report(
                    Diagnostic::new(codes::W1000, format!("model `{name}` is not imported: `@@ignore` and no `@id`"))
                        .at(model.span, "not imported")
                        .note("schemac entities need a primary key; Prisma Client does not use this model either"),
                );
            } else {
                self.report(
                    Diagnostic::new(codes::E1003, format!("model `{name}` has no primary key"))
                        .at(model.span, "no `@id` or `@@id`")
                        .note("every schemac entity has a primary key; Prisma accepts a model with only `@unique`")
                        .help("mark its key with `@id` (or `@@id([…])`) in schema.prisma, then import again"),
                );
            }
            return None;
        };
        if let Some(optional) = primary.fields.iter().find(|f| build.entity.field(f).is_some_and(|f| f.nullable)) {
            self.report(
                Diagnostic::new(codes::E1002, format!("primary key field `{optional}` of `{name}` is optional"))
                    .at(primary.span, "a key cannot be null")
                    .help("remove the `?` from the field's type"),
            );
        }
        let prisma_name = primary.map.unwrap_or_else(|| names::primary_key(&build.entity.table));
        build.entity.primary_key_name = keep_if_not_default(prisma_name, &build.entity.table, &[], "pkey");
        build.entity.primary_key = primary.fields;
        if ignored {
            self.report(
                Diagnostic::new(codes::W1000, format!("`@@ignore` on `{name}` is not imported"))
                    .at(model.attribute("ignore").map_or(model.span, |a| a.span), "the table is imported")
                    .note("`@@ignore` hides the model from Prisma Client; Prisma Migrate still creates the table"),
            );
        }
        Some(build)
    }

    fn classify(&self, field: &Field) -> Kind {
        let name = field.ty.name.text.as_str();
        if let Some(database) = &field.ty.unsupported {
            return Kind::Unsupported(database.clone(), types::unsupported(database));
        }
        if let Some(scalar) = Scalar::parse(name) {
            return Kind::Scalar(scalar);
        }
        if self.enums.contains_key(name) {
            return Kind::Enum(name.to_string());
        }
        if self.models.contains_key(name) {
            return Kind::Model;
        }
        match self.skipped_types.get(name) {
            Some(what) => Kind::Skipped(what),
            None => Kind::Unknown,
        }
    }

    fn field(&mut self, build: &mut ModelBuild<'s>, field: &'s Field, primary: &mut Option<PrimaryKey>) {
        let model = build.entity.name.clone();
        let kind = self.classify(field);
        if let Kind::Model = kind {
            build.relation_fields.push(field);
            return;
        }
        let Some((scalar, ty)) = self.column_type(&model, field, kind) else { return };
        let name = self.field_name(build, &model, field);
        let (column, ty) = self.storage(field, scalar, ty);
        let list = field.ty.arity == Arity::List;
        let mut lowered = ir::Field {
            id: format!("field:{model}.{name}"),
            name: name.clone(),
            column,
            ty: if list { Type::Array { element: Box::new(ty.clone()) } } else { ty.clone() },
            // Prisma creates list columns without NOT NULL (`TEXT[]`): a
            // list cannot be optional in Prisma, but its column can be null.
            nullable: field.ty.arity != Arity::Required,
            default: None,
            identity: false,
            identity_always: false,
            serial: false,
            generated: None,
            pii: None,
            doc: (!field.doc.is_empty()).then(|| field.doc.join("\n")),
            renamed_from: None,
            denormalized_from: None,
            origin: Origin::Declared,
        };
        let column = Column { prisma: format!("{model}.{}", field.name.text), scalar, element: ty, list };
        for attribute in &field.attributes {
            self.field_attribute(build, &mut lowered, &column, attribute, primary);
        }
        build.fields.insert(field.name.text.clone(), name);
        build.entity.fields.push(lowered);
    }

    /// The column type of a field that is a column (a scalar, an enum, an
    /// `Unsupported` type the language has): the Prisma scalar, if any, and
    /// the IR type before `@db`. Other fields are reported and left out.
    fn column_type(&mut self, model: &str, field: &Field, kind: Kind) -> Option<(Option<Scalar>, Type)> {
        let not_imported = |why: String| {
            Diagnostic::new(codes::W1000, format!("field `{model}.{}` is not imported: {why}", field.name.text))
                .at(field.span, "not imported")
        };
        match kind {
            Kind::Scalar(scalar) => Some((Some(scalar), scalar.default_type())),
            Kind::Enum(name) => Some((None, Type::Enum { name })),
            Kind::Unsupported(_, Some(ty)) => Some((None, ty)),
            Kind::Unsupported(database, None) => {
                self.report(not_imported(format!("the language has no type `{database}`")).help(
                    "declare the column by hand in the imported schema, or leave it to a hand-written migration",
                ));
                None
            }
            Kind::Skipped(what) => {
                self.report(not_imported(format!("`{}` is a {what}", field.ty.name.text)));
                None
            }
            Kind::Model | Kind::Unknown => {
                let ty = field.ty.name.text.clone();
                let suggestion = did_you_mean(&ty, self.type_names()).map(str::to_string);
                let mut d = Diagnostic::new(codes::E1001, format!("unknown type `{ty}`"))
                    .at(field.ty.name.span, "no model, enum or scalar type has this name");
                if let Some(s) = suggestion {
                    d = d.help(format!("did you mean `{s}`?"));
                }
                self.report(d);
                None
            }
        }
    }

    /// The field's language name: its snake_case, unless the model has that
    /// name already or the language cannot use it (W1006).
    fn field_name(&mut self, build: &mut ModelBuild<'s>, model: &str, field: &Field) -> String {
        let snake = snake_case(&field.name.text);
        let wanted = language_name(&field.name.text);
        let name = build.names.claim(&wanted);
        if name != snake {
            let why = if wanted == snake {
                "another field of the model has the same snake_case name".to_string()
            } else {
                format!("`{snake}` is not a name the language can use for a field")
            };
            self.report(
                Diagnostic::new(
                    codes::W1006,
                    format!("field `{model}.{}` is called `{name}` in the language", field.name.text),
                )
                .at(field.name.span, "renamed")
                .note(why)
                .note("the column keeps its name"),
            );
        }
        name
    }

    /// The column's name (`@map`, else the field's name as written) and its
    /// type after `@db.*`.
    fn storage(&mut self, field: &Field, scalar: Option<Scalar>, mut ty: Type) -> (String, Type) {
        let mut column = field.name.text.clone();
        let mut native: Option<&Attribute> = None;
        for attribute in &field.attributes {
            if attribute.name.text == "map" {
                match attribute.arg("name", true).and_then(|a| a.value.as_str()) {
                    Some(mapped) => column = mapped.to_string(),
                    None => self.report(
                        Diagnostic::new(codes::E1002, "`@map` takes the column's name as a string")
                            .at(attribute.span, "write `@map(\"name\")`"),
                    ),
                }
            } else if attribute.name.text.starts_with("db.") {
                match native {
                    Some(first) => self.report(
                        Diagnostic::new(codes::E1002, "a field has one native type")
                            .at(attribute.span, "a second `@db` type")
                            .also(first.span, "the first"),
                    ),
                    None => native = Some(attribute),
                }
            }
        }
        if let Some(attribute) = native {
            ty = self.native_type(scalar, ty, attribute);
        }
        (column, ty)
    }

    /// A field attribute other than `@map` and `@db.*` (read by [`Self::storage`]).
    fn field_attribute(
        &mut self,
        build: &mut ModelBuild<'s>,
        lowered: &mut ir::Field,
        column: &Column,
        attribute: &Attribute,
        primary: &mut Option<PrimaryKey>,
    ) {
        let prisma = &column.prisma;
        match attribute.name.text.as_str() {
            "map" => {}
            n if n.starts_with("db.") => {}
            "id" => {
                self.extra_arguments(attribute, &["map"]);
                let key = PrimaryKey {
                    fields: vec![lowered.name.clone()],
                    map: map_argument(attribute),
                    span: attribute.span,
                };
                self.set_primary(primary, key, &build.entity.name);
            }
            "unique" => {
                self.extra_arguments(attribute, &["map", "sort"]);
                let part = KeyPart {
                    field: lowered.name.clone(),
                    column: lowered.column.clone(),
                    descending: descending(attribute),
                };
                let index = unique_index(&build.entity.table, vec![part], map_argument(attribute));
                build.entity.indexes.push(index);
            }
            "default" => self.default(lowered, column, attribute),
            "updatedAt" => self.report(
                Diagnostic::new(
                    codes::W1001,
                    format!("`{prisma}` is set by Prisma Client on every update, not by the database"),
                )
                .at(attribute.span, "no database default or trigger")
                .help("`apply timestamps` (std::patterns::timestamps) keeps an `updated_at` current in the database"),
            ),
            "ignore" => self.report(
                Diagnostic::new(codes::W1000, format!("`@ignore` on `{prisma}` is not imported"))
                    .at(attribute.span, "the column is imported")
                    .note("`@ignore` hides the field from Prisma Client; the column is in the database"),
            ),
            "relation" => self.report(
                Diagnostic::new(codes::E1002, format!("`@relation` on `{prisma}`, which is not a relation field"))
                    .at(attribute.span, "belongs on a field typed with a model")
                    .help("put `@relation(fields: […], references: […])` on the field whose type is the other model"),
            ),
            other => self.report(
                Diagnostic::new(codes::W1000, format!("`@{other}` on `{prisma}` is not imported"))
                    .at(attribute.span, "not imported")
                    .note("the importer does not know this attribute"),
            ),
        }
    }

    fn set_primary(&mut self, primary: &mut Option<PrimaryKey>, key: PrimaryKey, model: &str) {
        if let Some(first) = primary {
            self.report(
                Diagnostic::new(codes::E1002, format!("model `{model}` has more than one primary key"))
                    .at(key.span, "a second key")
                    .also(first.span, "the first"),
            );
            return;
        }
        *primary = Some(key);
    }

    /// W1000 for each named argument that is not in `known` (and has a
    /// meaning the import cannot keep).
    fn extra_arguments(&mut self, attribute: &Attribute, known: &[&str]) {
        for arg in &attribute.args {
            let Some(name) = &arg.name else { continue };
            // `name:` on keys names the Prisma Client API, not a database object.
            if known.contains(&name.text.as_str()) || name.text == "name" || name.text == "fields" {
                continue;
            }
            self.report(
                Diagnostic::new(codes::W1000, format!("`{}:` of `{}` is not imported", name.text, attribute.display()))
                    .at(arg.span, "not imported")
                    .note(match name.text.as_str() {
                        "sort" => "the language orders keys ascending",
                        "length" => "prefix lengths exist on MySQL only",
                        "clustered" => "clustering exists on SQL Server only",
                        "ops" => "the index is imported with the default operator class",
                        _ => "the importer does not know this argument",
                    }),
            );
        }
    }

    /// The IR type of `@db.<name>(…)` on a field of `kind` (today `ty`).
    fn native_type(&mut self, kind: Option<Scalar>, ty: Type, attribute: &Attribute) -> Type {
        let native = attribute.name.text.trim_start_matches("db.");
        let Some(scalar) = kind else {
            self.report(
                Diagnostic::new(codes::E1002, format!("`@db.{native}` on a field that is not a scalar"))
                    .at(attribute.span, "enums and unsupported types have no native type"),
            );
            return ty;
        };
        let mut args = Vec::new();
        for arg in &attribute.args {
            let number = match &arg.value {
                Value::Number { text, .. } => text.parse::<u32>().ok(),
                _ => None,
            };
            match (number, &arg.value) {
                (Some(n), _) => args.push(n),
                // `@db.VarChar(max)` on SQL Server: unbounded.
                (None, Value::Name(n)) if n.text == "max" => {}
                (None, other) => {
                    self.report(
                        Diagnostic::new(codes::E1002, format!("`@db.{native}` takes whole numbers"))
                            .at(other.span(), format!("{} here", other.describe())),
                    );
                    return ty;
                }
            }
        }
        match types::native(scalar, native, &args, self.postgres) {
            Native::Exact(ty) => ty,
            Native::Closest { ty, why } => {
                self.report(
                    Diagnostic::new(codes::W1004, format!("`@db.{native}` is imported as `{}`", type_text(&ty)))
                        .at(attribute.span, "closest type")
                        .note(why),
                );
                ty
            }
            Native::Mismatch => {
                self.report(
                    Diagnostic::new(codes::E1002, format!("`@db.{native}` does not apply to a `{scalar:?}` field"))
                        .at(attribute.span, "wrong native type for the scalar type"),
                );
                ty
            }
            Native::Unknown => {
                self.report(
                    Diagnostic::new(codes::W1000, format!("`@db.{native}` is not imported"))
                        .at(attribute.span, format!("imported as `{}`", type_text(&ty)))
                        .note("the importer does not know this native type; the field keeps its scalar's type"),
                );
                ty
            }
        }
    }

    fn default(&mut self, field: &mut ir::Field, column: &Column, attribute: &Attribute) {
        self.extra_arguments(attribute, &["value"]);
        let Some(arg) = attribute.arg("value", true) else {
            self.report(
                Diagnostic::new(codes::E1002, "`@default` needs a value").at(attribute.span, "write `@default(value)`"),
            );
            return;
        };
        let outcome = {
            let kind = match (column.scalar, &column.element) {
                (Some(s), _) => FieldKind::Scalar(s),
                (None, Type::Enum { name }) => match self.enums.get(name.as_str()) {
                    Some(info) => FieldKind::Enum { name, values: &info.values },
                    None => FieldKind::Other,
                },
                (None, _) => FieldKind::Other,
            };
            defaults::lower(&arg.value, &kind, column.list)
        };
        let prisma = &column.prisma;
        match outcome {
            Ok(Default::Value(expr)) => field.default = Some(expr),
            Ok(Default::Serial) => field.serial = true,
            Ok(Default::Client { function, instead }) => self.report(
                Diagnostic::new(
                    codes::W1001,
                    format!("`{prisma}` gets `{function}` from Prisma Client, not from the database"),
                )
                .at(attribute.span, "no database default")
                .note("the column is imported without a default: rows inserted by other clients need a value")
                .help(if matches!(column.element, Type::Uuid) || function.starts_with("uuid") {
                    format!("to let the database generate it, give the field `= {instead}` in the imported schema")
                } else {
                    format!("keep generating it in the application, or make the field a `uuid` with `= {instead}`")
                }),
            ),
            Ok(Default::Unsupported { why }) => self.report(
                Diagnostic::new(codes::W1000, format!("the default of `{prisma}` is not imported"))
                    .at(attribute.span, "not imported")
                    .note(why),
            ),
            Err(invalid) => self.report(
                Diagnostic::new(invalid.code, format!("invalid default for `{prisma}`: {}", invalid.message))
                    .at(invalid.span, "here"),
            ),
        }
    }

    fn model_attribute(&mut self, build: &mut ModelBuild<'s>, attribute: &Attribute, primary: &mut Option<PrimaryKey>) {
        let model = build.entity.name.clone();
        let table = build.entity.table.clone();
        match attribute.name.text.as_str() {
            "map" | "ignore" => {}
            "id" => {
                self.extra_arguments(attribute, &["map"]);
                let Some(parts) = self.key_parts(build, attribute, false) else { return };
                let fields = parts.into_iter().map(|p| p.field).collect();
                let key = PrimaryKey { fields, map: map_argument(attribute), span: attribute.span };
                self.set_primary(primary, key, &model);
            }
            "unique" => {
                self.extra_arguments(attribute, &["map"]);
                let Some(parts) = self.key_parts(build, attribute, true) else { return };
                build.entity.indexes.push(unique_index(&table, parts, map_argument(attribute)));
            }
            "index" => self.index(build, attribute),
            other => {
                let note = match other {
                    "schema" => "the language puts every table in the build's one schema",
                    "fulltext" => {
                        "full-text indexes of this kind exist on MySQL and MongoDB; see `search` in the language"
                    }
                    "shardKey" => "sharding is not part of the language",
                    _ => "the importer does not know this attribute",
                };
                self.report(
                    Diagnostic::new(codes::W1000, format!("`@@{other}` on `{model}` is not imported"))
                        .at(attribute.span, "not imported")
                        .note(note),
                );
            }
        }
    }

    fn index(&mut self, build: &mut ModelBuild<'s>, attribute: &Attribute) {
        self.extra_arguments(attribute, &["map", "type", "where", "sort"]);
        let Some(parts) = self.key_parts(build, attribute, true) else { return };
        let table = &build.entity.table;
        let method = match attribute.arg("type", false).map(|a| &a.value) {
            None => IndexMethod::Btree,
            Some(Value::Name(n)) => match n.text.as_str() {
                "BTree" => IndexMethod::Btree,
                "Hash" => IndexMethod::Hash,
                "Gin" => IndexMethod::Gin,
                "Gist" => IndexMethod::Gist,
                "Brin" => IndexMethod::Brin,
                "SpGist" => {
                    self.report(
                        Diagnostic::new(codes::W1000, "an SP-GiST index is not imported")
                            .at(attribute.span, "not imported")
                            .note("the language's index methods are btree, hash, gin, gist and brin"),
                    );
                    return;
                }
                other => {
                    self.report(
                        Diagnostic::new(codes::E1002, format!("`{other}` is not an index type"))
                            .at(n.span, "unknown index type")
                            .help("Prisma's index types are BTree, Hash, Gin, Gist, Brin and SpGist"),
                    );
                    return;
                }
            },
            Some(other) => {
                self.report(
                    Diagnostic::new(codes::E1002, "`type:` names an index type").at(other.span(), "write `type: Hash`"),
                );
                return;
            }
        };
        let predicate = match attribute.arg("where", false).map(|a| &a.value) {
            None => None,
            Some(Value::Call { name, args, .. }) if name.text == "raw" && args.len() == 1 => {
                args[0].value.as_str().map(|text| Expr::Sql { text: text.to_string() })
            }
            Some(other) => {
                self.report(
                    Diagnostic::new(codes::W1000, "the index's condition is not imported, nor the index")
                        .at(other.span(), "only `where: raw(\"…\")` is understood"),
                );
                return;
            }
        };
        let columns: Vec<String> = parts.iter().map(|p| p.column.clone()).collect();
        let prisma = map_argument(attribute)
            .or_else(|| attribute.arg("name", false).and_then(|a| a.value.as_str()).map(str::to_string))
            .unwrap_or_else(|| names::constraint(table, &columns, "idx"));
        build.entity.indexes.push(Index {
            name: keep_if_not_default(prisma, table, &columns, "idx"),
            unique: false,
            keys: parts
                .into_iter()
                .map(|p| IndexKey { expr: Expr::Column { name: p.field }, descending: p.descending, nulls_first: None })
                .collect(),
            include: Vec::new(),
            predicate,
            method,
            origin: Origin::Declared,
        });
    }

    /// The fields an `@@id`, `@@unique` or `@@index` lists (`fields:` or the
    /// first argument), each `field` or `field(sort: Desc, …)`. `sorted`:
    /// whether the key keeps its order (only indexes do).
    fn key_parts(&mut self, build: &ModelBuild<'s>, attribute: &Attribute, sorted: bool) -> Option<Vec<KeyPart>> {
        let what = format!("`{}`", attribute.display());
        let Some(arg) = attribute.arg("fields", true) else {
            self.report(
                Diagnostic::new(codes::E1002, format!("{what} needs the fields it covers"))
                    .at(attribute.span, "write `[field, …]` as its first argument"),
            );
            return None;
        };
        let items: Vec<&Value> = match &arg.value {
            Value::Array { items, .. } => items.iter().collect(),
            single => vec![single],
        };
        if items.is_empty() {
            self.report(Diagnostic::new(codes::E1002, format!("{what} lists no fields")).at(arg.span, "empty"));
            return None;
        }
        let mut parts = Vec::new();
        for item in items {
            let (name, args) = match item {
                Value::Name(name) => (name, &[][..]),
                Value::Call { name, args, .. } => (name, &args[..]),
                other => {
                    self.report(
                        Diagnostic::new(codes::E1002, format!("{what} lists field names"))
                            .at(other.span(), format!("{} here", other.describe())),
                    );
                    return None;
                }
            };
            let mut descending = false;
            for arg in args {
                match (arg.name.as_ref().map(|n| n.text.as_str()), &arg.value) {
                    (Some("sort"), Value::Name(order)) if sorted => descending = order.text == "Desc",
                    (Some(option), _) => {
                        let note = match option {
                            "sort" => "the language keeps keys of constraints ascending",
                            "ops" => "the index is imported with the default operator class",
                            "length" => "prefix lengths exist on MySQL only",
                            _ => "the importer does not know this option",
                        };
                        self.report(
                            Diagnostic::new(codes::W1000, format!("`{option}:` on `{}` is not imported", name.text))
                                .at(arg.span, "not imported")
                                .note(note),
                        );
                    }
                    (None, _) => self.report(
                        Diagnostic::new(codes::E1002, format!("`{}(…)` takes named options", name.text))
                            .at(arg.span, "write `sort: Desc`"),
                    ),
                }
            }
            let Some(field) = build.fields.get(&name.text) else {
                let relation = build.relation_fields.iter().any(|f| f.name.text == name.text);
                let d = if relation {
                    Diagnostic::new(codes::E1002, format!("{what} names `{}`, a relation field", name.text))
                        .at(name.span, "not a column")
                        .help("name the relation's scalar fields (those in its `fields: […]`)")
                } else {
                    let mut d =
                        Diagnostic::new(codes::E1001, format!("`{}` has no field `{}`", build.entity.name, name.text))
                            .at(name.span, "unknown field");
                    if let Some(s) = did_you_mean(&name.text, build.fields.keys().map(String::as_str)) {
                        d = d.help(format!("did you mean `{s}`?"));
                    }
                    d
                };
                self.report(d);
                return None;
            };
            parts.push(KeyPart { column: build.column(field), field: field.clone(), descending });
        }
        Some(parts)
    }
}

/// `@unique` / `@@unique`: Prisma makes a unique index (`CREATE UNIQUE
/// INDEX "<table>_<columns>_key"`), not a UNIQUE constraint, so the import
/// does too, under that name.
fn unique_index(table: &str, parts: Vec<KeyPart>, map: Option<String>) -> Index {
    let columns: Vec<String> = parts.iter().map(|p| p.column.clone()).collect();
    let prisma = map.unwrap_or_else(|| names::constraint(table, &columns, "key"));
    Index {
        // schemac calls an unnamed index `…_idx`, unique or not.
        name: keep_if_not_default(prisma, table, &columns, "idx"),
        unique: true,
        keys: parts
            .into_iter()
            .map(|p| IndexKey { expr: Expr::Column { name: p.field }, descending: p.descending, nulls_first: None })
            .collect(),
        include: Vec::new(),
        predicate: None,
        method: IndexMethod::Btree,
        origin: Origin::Declared,
    }
}

/// `sort: Desc` on a field-level `@unique`.
fn descending(attribute: &Attribute) -> bool {
    matches!(attribute.arg("sort", false).map(|a| &a.value), Some(Value::Name(n)) if n.text == "Desc")
}

/// The `map:` argument: the database name of a key, index or constraint.
pub fn map_argument(attribute: &Attribute) -> Option<String> {
    attribute.arg("map", false).and_then(|a| a.value.as_str()).map(str::to_string)
}
