//! The documentation site: `index.html` (overview diagram with zoom and
//! pan, modules, types, roles), one page per entity, the security report,
//! the migration history,
//! and a search over entities and columns — plain HTML, CSS and JS that work
//! from the file system with no network.
//!
//! Produces (path, contents) pairs; the CLI writes them. Reads the IR, the
//! module of each entity and the migrations' plan.json texts it is given.

mod entity;
mod migrations;
mod overview;
mod page;
mod search;
mod security;
mod words;

use std::collections::BTreeMap;

use crate::semantic::ir::{Grant, Ir, Policy, Query, Relation};

pub use migrations::Migration;

/// What the site is made from.
pub struct Input<'a> {
    pub project: &'a str,
    pub ir: &'a Ir,
    /// Entity name → module (see [`super::model::modules`]).
    pub modules: &'a BTreeMap<String, String>,
    /// The project's migrations in order, empty when it has none.
    pub migrations: &'a [Migration],
}

/// What each entity page lists, found once for all pages (a page must not
/// scan every relation or grant of a 10,000-entity schema).
struct Index<'a> {
    relations: BTreeMap<&'a str, Vec<&'a Relation>>,
    grants: BTreeMap<&'a str, Vec<&'a Grant>>,
    policies: BTreeMap<&'a str, Vec<&'a Policy>>,
    queries: BTreeMap<&'a str, Vec<&'a Query>>,
    /// The navigation of each module's entity pages, rendered once.
    nav: BTreeMap<&'a str, String>,
    /// The navigation of the site-level pages (every entity).
    site_nav: String,
    /// How each workload query reaches its rows, by query name.
    access: BTreeMap<&'a str, crate::performance::access_path::Served>,
}

impl<'a> Index<'a> {
    fn new(input: &Input<'a>) -> Index<'a> {
        let ir = input.ir;
        let mut relations: BTreeMap<&str, Vec<&Relation>> = BTreeMap::new();
        for r in &ir.relations {
            let mut names: Vec<&str> = vec![&r.from.entity, &r.to.entity, &r.holder];
            names.extend(r.alternatives.iter().map(|a| a.entity.as_str()));
            names.sort();
            names.dedup();
            for name in names {
                relations.entry(name).or_default().push(r);
            }
        }
        let mut grants: BTreeMap<&str, Vec<&Grant>> = BTreeMap::new();
        ir.grants.iter().for_each(|g| grants.entry(&g.entity).or_default().push(g));
        let mut policies: BTreeMap<&str, Vec<&Policy>> = BTreeMap::new();
        ir.policies.iter().for_each(|p| policies.entry(&p.entity).or_default().push(p));
        let mut queries: BTreeMap<&str, Vec<&Query>> = BTreeMap::new();
        ir.queries.iter().for_each(|q| queries.entry(&q.entity).or_default().push(q));
        let modules = page::by_module(input);
        let nav = modules.keys().map(|m| (*m, page::nav(input, &modules, "../", Some(m)))).collect();
        let site_nav = page::nav(input, &modules, "", None);
        let access = crate::performance::access_path::analyse(ir)
            .into_iter()
            .map(|a| (a.query.name.as_str(), a.served))
            .collect();
        Index { relations, grants, policies, queries, nav, site_nav, access }
    }
}

/// Every file of the site, paths relative to its root with `/` separators,
/// in a deterministic order.
pub fn site(input: &Input) -> Vec<(String, String)> {
    let index = Index::new(input);
    let mut files = vec![
        ("assets/site.css".to_string(), include_str!("assets/site.css").to_string()),
        ("assets/site.js".to_string(), include_str!("assets/site.js").to_string()),
        ("assets/search-index.js".to_string(), search::index(input.ir)),
        ("index.html".to_string(), overview::page(input, &index.site_nav)),
        ("security.html".to_string(), security::page(input, &index, &index.site_nav)),
    ];
    for entity in &input.ir.entities {
        files.push((format!("entities/{}.html", entity.name), entity::page(input, &index, entity)));
    }
    if !input.migrations.is_empty() {
        files.push(("migrations.html".to_string(), migrations::page(input, &index.site_nav)));
    }
    files
}

/// The entity's page, relative to the site root.
fn entity_href(name: &str) -> String {
    format!("entities/{name}.html")
}
