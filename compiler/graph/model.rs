//! The diagram every renderer draws: which entities are in the picture,
//! grouped by the module (source file) that declares them, their rows with
//! key markers, and one link per foreign key with the cardinality of each end.
//!
//! Built from the IR and a [`Selection`] (whole schema, one entity and its
//! neighbourhood, some modules). Knows nothing of Mermaid, DOT or SVG.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::driver::Compilation;
use crate::semantic::ir::{BehaviourKind, Cardinality, Entity, Ir, Relation};

use super::text::type_text;

/// Which part of the schema to draw.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Draw this entity and its neighbours up to `depth` relations away.
    pub focus: Option<String>,
    pub depth: usize,
    /// Only entities of these modules (empty: all).
    pub modules: Vec<String>,
}

/// How many rows one end of a link stands for (crow's-foot notation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    ExactlyOne,
    ZeroOrOne,
    ZeroOrMany,
}

/// A key role a row plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    Primary,
    Foreign,
    Unique,
}

impl Key {
    pub fn marker(self) -> &'static str {
        match self {
            Key::Primary => "PK",
            Key::Foreign => "FK",
            Key::Unique => "UK",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    /// The type as written, `?` for optional.
    pub ty: String,
    pub keys: Vec<Key>,
    /// `encrypt`, `mask` or `hash` when the field holds personal data.
    pub pii: Option<&'static str>,
}

#[derive(Debug, Clone)]
pub struct EntityBox {
    pub name: String,
    pub group: usize,
    pub doc: Option<String>,
    pub rows: Vec<Row>,
    /// Applied patterns, then `RLS` when rows are filtered per session.
    pub badges: Vec<String>,
}

/// One foreign key drawn as a line: `from` holds it, `to` is referenced.
#[derive(Debug, Clone)]
pub struct Link {
    pub from: usize,
    pub to: usize,
    pub from_end: End,
    pub to_end: End,
    /// The navigation names, `author / posts`.
    pub label: String,
    /// The foreign key columns on `from`.
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Diagram {
    /// Module names, sorted; each box's `group` indexes this.
    pub groups: Vec<String>,
    /// Sorted by group, then name.
    pub entities: Vec<EntityBox>,
    pub links: Vec<Link>,
}

impl Diagram {
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.entities.iter().position(|e| e.name == name)
    }
}

/// The module of each entity: the stem of the file that declares it
/// (`schema/billing.schema` → `billing`). Entities a relation made (junctions)
/// belong to the module of the relation.
pub fn modules(compilation: &Compilation) -> BTreeMap<String, String> {
    let module_of = |id: &str| {
        compilation.source_map.get(id).map(|span| {
            let name = &compilation.sources.get(span.file).name;
            let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
            file.strip_suffix(".schema").unwrap_or(file).to_string()
        })
    };
    let mut modules = BTreeMap::new();
    for entity in &compilation.ir.entities {
        let module = module_of(&entity.id).or_else(|| match &entity.origin {
            crate::semantic::ir::Origin::Relation { relation } => module_of(relation),
            _ => None,
        });
        modules.insert(entity.name.clone(), module.unwrap_or_else(|| "schema".to_string()));
    }
    modules
}

/// The entities and links a selection draws. Errors name what was not found.
pub fn diagram(ir: &Ir, modules: &BTreeMap<String, String>, selection: &Selection) -> Result<Diagram, String> {
    let module = |name: &str| modules.get(name).cloned().unwrap_or_else(|| "schema".to_string());
    for wanted in &selection.modules {
        if !modules.values().any(|m| m == wanted) {
            let known: BTreeSet<&String> = modules.values().collect();
            let known: Vec<&str> = known.into_iter().map(String::as_str).collect();
            return Err(format!("no module `{wanted}`; the modules are: {}", known.join(", ")));
        }
    }
    let mut chosen: BTreeSet<&str> = ir
        .entities
        .iter()
        .filter(|e| selection.modules.is_empty() || selection.modules.contains(&module(&e.name)))
        .map(|e| e.name.as_str())
        .collect();
    if let Some(focus) = &selection.focus {
        if ir.entity(focus).is_none() {
            let names = ir.entities.iter().map(|e| e.name.as_str());
            let hint = crate::diagnostics::did_you_mean(focus, names)
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            return Err(format!("no entity `{focus}` to focus on{hint}"));
        }
        let near = neighbourhood(ir, focus, selection.depth);
        chosen.retain(|name| near.contains(*name));
    }

    let mut groups: Vec<String> = chosen.iter().map(|name| module(name)).collect();
    groups.sort();
    groups.dedup();
    let mut entities: Vec<&Entity> = ir.entities.iter().filter(|e| chosen.contains(e.name.as_str())).collect();
    entities.sort_by(|a, b| module(&a.name).cmp(&module(&b.name)).then_with(|| a.name.cmp(&b.name)));
    let index: BTreeMap<&str, usize> = entities.iter().enumerate().map(|(i, e)| (e.name.as_str(), i)).collect();
    let rls: BTreeSet<&str> = ir.policies.iter().map(|p| p.entity.as_str()).collect();

    let boxes = entities
        .iter()
        .map(|e| {
            let group = groups.binary_search(&module(&e.name)).expect("the entity's module is a group");
            let mut badges = e.patterns.clone();
            if rls.contains(e.name.as_str()) || e.behaviours.iter().any(|b| b.kind == BehaviourKind::TenantIsolation) {
                badges.push("RLS".to_string());
            }
            EntityBox { name: e.name.clone(), group, doc: e.doc.clone(), rows: rows(e), badges }
        })
        .collect();
    let mut links = Vec::new();
    for relation in &ir.relations {
        for link in relation_links(ir, relation) {
            if let (Some(&from), Some(&to)) = (index.get(link.0.as_str()), index.get(link.1.as_str())) {
                let (from_end, to_end, label, columns) = link.2;
                links.push(Link { from, to, from_end, to_end, label, columns });
            }
        }
    }
    Ok(Diagram { groups, entities: boxes, links })
}

type LinkEnds = (End, End, String, Vec<String>);

/// The links a relation draws, by entity name: `(from, to, ends)`.
fn relation_links(ir: &Ir, relation: &Relation) -> Vec<(String, String, LinkEnds)> {
    let names = |r: &Relation| {
        let parts: Vec<&str> =
            [&r.from.navigation, &r.to.navigation].into_iter().filter_map(|n| n.as_deref()).collect();
        parts.join(" / ")
    };
    let parent = if relation.required { End::ExactlyOne } else { End::ZeroOrOne };
    match relation.cardinality {
        Cardinality::ManyToOne => vec![(
            relation.from.entity.clone(),
            relation.to.entity.clone(),
            (End::ZeroOrMany, parent, names(relation), relation.columns.clone()),
        )],
        Cardinality::OneToOne => vec![(
            relation.from.entity.clone(),
            relation.to.entity.clone(),
            (End::ZeroOrOne, parent, names(relation), relation.columns.clone()),
        )],
        Cardinality::Polymorphic => std::iter::once(&relation.to)
            .chain(&relation.alternatives)
            .map(|target| {
                let column = foreign_key_columns(ir, &relation.holder, &relation.id, &target.entity);
                (
                    relation.from.entity.clone(),
                    target.entity.clone(),
                    (End::ZeroOrMany, End::ZeroOrOne, names(relation), column),
                )
            })
            .collect(),
        Cardinality::ManyToMany => {
            let junction = relation.junction.clone().unwrap_or_else(|| relation.holder.clone());
            [(&relation.from, &relation.to), (&relation.to, &relation.from)]
                .into_iter()
                .map(|(end, other)| {
                    let label = end.navigation.clone().unwrap_or_default();
                    let label = match &other.navigation {
                        Some(back) if !label.is_empty() => format!("{label} / {back}"),
                        _ => label,
                    };
                    let columns = foreign_key_columns(ir, &junction, &relation.id, &end.entity);
                    (junction.clone(), end.entity.clone(), (End::ZeroOrMany, End::ExactlyOne, label, columns))
                })
                .collect()
        }
    }
}

/// The columns of the holder's foreign key of `relation` towards `target`.
fn foreign_key_columns(ir: &Ir, holder: &str, relation: &str, target: &str) -> Vec<String> {
    ir.entity(holder)
        .and_then(|h| h.foreign_keys.iter().find(|fk| fk.relation == relation && fk.references == target))
        .map(|fk| fk.columns.clone())
        .unwrap_or_default()
}

/// Entities at most `depth` foreign keys away from `focus`, either way.
fn neighbourhood<'a>(ir: &'a Ir, focus: &'a str, depth: usize) -> BTreeSet<&'a str> {
    let mut adjacent: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for entity in &ir.entities {
        for fk in &entity.foreign_keys {
            adjacent.entry(entity.name.as_str()).or_default().push(fk.references.as_str());
            adjacent.entry(fk.references.as_str()).or_default().push(entity.name.as_str());
        }
    }
    let mut seen = BTreeSet::from([focus]);
    let mut queue = VecDeque::from([(focus, 0)]);
    while let Some((name, distance)) = queue.pop_front() {
        if distance == depth {
            continue;
        }
        for &next in adjacent.get(name).into_iter().flatten() {
            if seen.insert(next) {
                queue.push_back((next, distance + 1));
            }
        }
    }
    seen
}

fn rows(entity: &Entity) -> Vec<Row> {
    let foreign: BTreeSet<&str> =
        entity.foreign_keys.iter().flat_map(|fk| fk.columns.iter().map(String::as_str)).collect();
    let unique: BTreeSet<&str> =
        entity.uniques.iter().filter(|u| u.columns.len() == 1).map(|u| u.columns[0].as_str()).collect();
    entity
        .fields
        .iter()
        .map(|f| {
            let mut keys = Vec::new();
            if entity.primary_key.contains(&f.name) {
                keys.push(Key::Primary);
            }
            if foreign.contains(f.name.as_str()) {
                keys.push(Key::Foreign);
            }
            if unique.contains(f.name.as_str()) && !keys.contains(&Key::Primary) {
                keys.push(Key::Unique);
            }
            let mut ty = type_text(&f.ty);
            if f.nullable {
                ty.push('?');
            }
            let pii = f.pii.map(|p| match p {
                crate::semantic::ir::Pii::Encrypt => "encrypt",
                crate::semantic::ir::Pii::Mask => "mask",
                crate::semantic::ir::Pii::Hash => "hash",
            });
            Row { name: f.name.clone(), ty, keys, pii }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::{compile, Input};

    fn compiled() -> Compilation {
        let shop = "entity Customer {\n  id bigint = identity primary\n  email text unique\n}\n\n\
                    entity Order {\n  id bigint = identity primary\n  note text? pii(mask)\n}\n\n\
                    relation Order.customer -> Customer.orders {\n  required\n}\n";
        let catalog = "entity Product {\n  id bigint = identity primary\n}\n\n\
                       entity Tag {\n  id bigint = identity primary\n}\n\n\
                       entity Line {\n  id bigint = identity primary\n}\n\n\
                       relation Line.order -> Order.lines\n\
                       relation Line.product -> Product.lines {\n  required\n}\n\
                       relation Product.tags <-> Tag.products\n";
        let inputs = [
            Input { name: "schema/shop.schema".into(), bytes: shop.as_bytes().to_vec() },
            Input { name: "schema/catalog.schema".into(), bytes: catalog.as_bytes().to_vec() },
        ];
        let compilation = compile(&inputs);
        assert!(!compilation.has_errors(), "{:?}", compilation.diagnostics);
        compilation
    }

    fn names(d: &Diagram) -> Vec<&str> {
        d.entities.iter().map(|e| e.name.as_str()).collect()
    }

    #[test]
    fn whole_schema_grouped_by_source_file() {
        let c = compiled();
        let modules = modules(&c);
        assert_eq!(modules["Customer"], "shop");
        assert_eq!(modules["Line"], "catalog");
        // The junction belongs to the module of its relation.
        let junction = c.ir.relations.iter().find_map(|r| r.junction.clone()).unwrap();
        assert_eq!(modules[&junction], "catalog");
        let d = diagram(&c.ir, &modules, &Selection::default()).unwrap();
        assert_eq!(d.groups, ["catalog", "shop"]);
        assert_eq!(junction, "ProductTag");
        assert_eq!(names(&d), ["Line", "Product", "ProductTag", "Tag", "Customer", "Order"]);
        let order = d.index_of("Order").unwrap();
        let customer = d.index_of("Customer").unwrap();
        let link = d.links.iter().find(|l| l.from == order && l.to == customer).unwrap();
        assert_eq!((link.from_end, link.to_end), (End::ZeroOrMany, End::ExactlyOne));
        assert_eq!(link.label, "customer / orders");
        assert_eq!(link.columns, ["customer_id"]);
        // An optional relation's parent end is zero-or-one; a junction has two required links.
        let line = d.index_of("Line").unwrap();
        assert!(d.links.iter().any(|l| l.from == line && l.to == order && l.to_end == End::ZeroOrOne));
        let j = d.index_of(&junction).unwrap();
        assert_eq!(d.links.iter().filter(|l| l.from == j && l.to_end == End::ExactlyOne).count(), 2);
        let rows = &d.entities[order].rows;
        assert_eq!(rows.iter().find(|r| r.name == "note").unwrap().pii, Some("mask"));
        assert_eq!(rows.iter().find(|r| r.name == "note").unwrap().ty, "text?");
        let email = d.entities[customer].rows.iter().find(|r| r.name == "email").unwrap();
        assert_eq!(email.keys, [Key::Unique]);
    }

    #[test]
    fn focus_takes_neighbours_up_to_the_depth_either_way() {
        let c = compiled();
        let modules = modules(&c);
        let focus = |depth| Selection { focus: Some("Order".into()), depth, modules: vec![] };
        let d = diagram(&c.ir, &modules, &focus(0)).unwrap();
        assert_eq!(names(&d), ["Order"]);
        let d = diagram(&c.ir, &modules, &focus(1)).unwrap();
        assert_eq!(names(&d), ["Line", "Customer", "Order"]);
        assert_eq!(d.links.len(), 2, "only links between drawn entities");
        let d = diagram(&c.ir, &modules, &focus(2)).unwrap();
        assert_eq!(names(&d), ["Line", "Product", "Customer", "Order"]);
    }

    #[test]
    fn module_filter_and_unknown_names_are_explained() {
        let c = compiled();
        let modules = modules(&c);
        let only_shop = Selection { modules: vec!["shop".into()], ..Default::default() };
        assert_eq!(names(&diagram(&c.ir, &modules, &only_shop).unwrap()), ["Customer", "Order"]);
        let unknown = Selection { modules: vec!["shops".into()], ..Default::default() };
        let e = diagram(&c.ir, &modules, &unknown).unwrap_err();
        assert!(e.contains("no module `shops`") && e.contains("catalog, shop"), "{e}");
        let typo = Selection { focus: Some("Ordr".into()), ..Default::default() };
        let e = diagram(&c.ir, &modules, &typo).unwrap_err();
        assert!(e.contains("did you mean `Order`"), "{e}");
    }
}
