//! Lowers a parsed Prisma schema to the IR: the declarations and the
//! datasource first, then enums, models (one entity each) and relations.
//!
//! Lowering keeps the database Prisma Migrate would make: storage names,
//! column types, keys, indexes, constraint names and referential actions
//! stay exactly as Prisma has them; only the language's own names are
//! derived (snake_case fields). Whatever cannot be kept is a warning at its
//! line (W10xx), never a silent drop; whatever Prisma itself would refuse is
//! an error (E10xx) and no IR is returned. It does not touch the syntax of
//! the `.schema` language or any database.

use std::collections::{BTreeMap, BTreeSet};

use super::ast::{Block, Config, Enum, Model, ModelKind, Schema, Value};
use super::enums::EnumInfo;
use super::model::ModelBuild;
use crate::diagnostics::{codes, Diagnostic, Span};
use crate::semantic::ir::Ir;

/// The state of one import: what is declared, the datasource's settings,
/// and the diagnostics so far.
pub struct Lowering<'s> {
    pub diagnostics: Vec<Diagnostic>,
    /// The datasource is PostgreSQL (or none is given).
    pub postgres: bool,
    /// `relationMode = "prisma"`: where it is set, when it is.
    pub prisma_relations: Option<Span>,
    pub models: BTreeMap<&'s str, &'s Model>,
    pub enums: BTreeMap<&'s str, EnumInfo>,
    /// Views and composite types: names a field may use, never imported.
    pub skipped_types: BTreeMap<&'s str, &'static str>,
}

/// The IR of the whole schema, or `None` when there are errors; and every
/// diagnostic.
pub fn lower(schema: &Schema) -> (Option<Ir>, Vec<Diagnostic>) {
    let mut lowering = Lowering {
        diagnostics: Vec::new(),
        postgres: true,
        prisma_relations: None,
        models: BTreeMap::new(),
        enums: BTreeMap::new(),
        skipped_types: BTreeMap::new(),
    };
    let mut ir = Ir::default();
    let (enums, datasource) = lowering.declarations(schema);
    if let Some(datasource) = datasource {
        lowering.datasource(datasource);
    }
    for block in enums {
        if let Some((info, lowered)) = lowering.enumeration(block) {
            lowering.enums.insert(&block.name.text, info);
            ir.enums.push(lowered);
        }
    }
    let models: Vec<&Model> = lowering.models.values().copied().collect();
    let mut builds: Vec<ModelBuild> = models.into_iter().filter_map(|m| lowering.model(m)).collect();
    let (relations, junctions) = lowering.relations(&mut builds);
    ir.entities = builds.into_iter().map(|b| b.entity).chain(junctions).collect();
    ir.entities.sort_by(|a, b| a.name.cmp(&b.name));
    ir.enums.sort_by(|a, b| a.name.cmp(&b.name));
    ir.relations = relations;
    ir.relations.sort_by(|a, b| a.id.cmp(&b.id));
    let failed = lowering.diagnostics.iter().any(Diagnostic::is_error);
    (if failed { None } else { Some(ir) }, lowering.diagnostics)
}

impl<'s> Lowering<'s> {
    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Records every model, enum, view and type by name (a name declared
    /// twice is E1004) and returns the enums, in order, and the datasource.
    fn declarations(&mut self, schema: &'s Schema) -> (Vec<&'s Enum>, Option<&'s Config>) {
        let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
        let mut enums = Vec::new();
        let mut datasource: Option<&Config> = None;
        for block in &schema.blocks {
            let name = match block {
                Block::Model(model) => &model.name,
                Block::Enum(e) => &e.name,
                Block::Config(config) if config.keyword.text == "datasource" => {
                    if let Some(first) = datasource {
                        self.report(
                            Diagnostic::new(codes::E1004, "a schema has one datasource")
                                .at(config.span, "a second datasource")
                                .also(first.span, "the first one")
                                .help("keep one `datasource` block across all the schema's files"),
                        );
                    } else {
                        datasource = Some(config);
                    }
                    continue;
                }
                // Generators configure Prisma Client; the database knows nothing of them.
                Block::Config(_) => continue,
            };
            if let Some(first) = seen.get(name.text.as_str()) {
                self.report(
                    Diagnostic::new(codes::E1004, format!("`{}` is declared twice", name.text))
                        .at(name.span, "declared again here")
                        .also(*first, "first declared here")
                        .help("models, enums, views and types share one namespace: rename one of them"),
                );
                continue;
            }
            seen.insert(&name.text, name.span);
            match block {
                Block::Model(model) if model.kind == ModelKind::Model => {
                    self.models.insert(&model.name.text, model);
                }
                Block::Model(model) => self.skip_block(model),
                Block::Enum(e) => enums.push(e),
                Block::Config(_) => {}
            }
        }
        (enums, datasource)
    }

    fn skip_block(&mut self, model: &'s Model) {
        let (what, why) = match model.kind {
            ModelKind::View => ("view", "Prisma does not create views (their SQL is written by hand)"),
            _ => ("composite type", "composite types exist on MongoDB only"),
        };
        self.skipped_types.insert(&model.name.text, what);
        self.report(
            Diagnostic::new(codes::W1000, format!("{what} `{}` is not imported", model.name.text))
                .at(model.span, format!("{} not imported", model.kind.keyword()))
                .note(why)
                .help("declare it by hand in the imported schema if the database has it (a `view`, or fields)"),
        );
    }

    fn datasource(&mut self, datasource: &'s Config) {
        if let Some((provider, name)) =
            datasource.property("provider").and_then(|p| p.value.as_str().map(|name| (p, name)))
        {
            if !matches!(name, "postgresql" | "postgres") {
                self.postgres = false;
                self.report(
                    Diagnostic::new(codes::W1007, format!("the schema is written for `{name}`, not PostgreSQL"))
                        .at(provider.span, "another database")
                        .note("column types are imported as the closest PostgreSQL types the language has")
                        .help("check the native types (`@db.*`) warned about, and the defaults, before building"),
                );
            }
        }
        for property in &datasource.properties {
            match property.key.text.as_str() {
                "relationMode" | "referentialIntegrity" if property.value.as_str() == Some("prisma") => {
                    self.prisma_relations = Some(property.span);
                }
                "extensions" | "schemas" => {
                    let what = if property.key.text == "extensions" {
                        "PostgreSQL extensions are created by the backend when a feature needs one"
                    } else {
                        "the language puts every table in one schema"
                    };
                    self.report(
                        Diagnostic::new(codes::W1000, format!("`{}` is not imported", property.key.text))
                            .at(property.span, "not imported")
                            .note(what),
                    );
                }
                _ => {}
            }
        }
    }

    /// A list argument of names (`[a, b]`, or one bare name): the names
    /// and their spans, or E1002 at the value.
    pub fn names_list(&mut self, value: &Value, what: &str) -> Option<Vec<(String, Span)>> {
        let items: Vec<&Value> = match value {
            Value::Array { items, .. } => items.iter().collect(),
            single => vec![single],
        };
        let mut names = Vec::new();
        for item in items {
            match item {
                Value::Name(name) => names.push((name.text.clone(), name.span)),
                other => {
                    self.report(
                        Diagnostic::new(codes::E1002, format!("{what} lists field names"))
                            .at(other.span(), format!("{} here", other.describe())),
                    );
                    return None;
                }
            }
        }
        Some(names)
    }

    /// Every type name a field may have, for "did you mean".
    pub fn type_names(&self) -> BTreeSet<&str> {
        let scalars = ["String", "Int", "BigInt", "Float", "Decimal", "Boolean", "DateTime", "Json", "Bytes"];
        let mut names: BTreeSet<&str> = scalars.into_iter().collect();
        names.extend(self.models.keys().copied());
        names.extend(self.enums.keys().copied());
        names.extend(self.skipped_types.keys().copied());
        names
    }
}
