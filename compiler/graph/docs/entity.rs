//! One entity's page: its doc, columns (types, nullability, defaults,
//! checks, keys, PII), relations both ways, keys and indexes with the reason
//! each exists, patterns and what they do, access (grants and policies in
//! plain words), workload queries and volume.

use std::fmt::Write;

use super::page::{self, Frame};
use super::words::{self, code};
use super::{Index, Input};
use crate::graph::escape_html as h;
use crate::graph::text::{expr_text, type_text};
use crate::performance::storage::thousands;
use crate::semantic::ir::{Cardinality, Entity, Field, Ir, Origin, Relation, Type};

pub fn page(input: &Input, index: &Index, entity: &Entity) -> String {
    let ir = input.ir;
    let module = input.modules.get(&entity.name).map_or("schema", String::as_str);
    let mut main = String::new();
    let _ = writeln!(
        main,
        "<p class=\"crumbs\"><a href=\"../index.html\">Overview</a> › <a href=\"../index.html#module-{}\">{}</a></p>",
        h(module),
        h(module)
    );
    let _ = writeln!(main, "<h1>{} <span class=\"kind\">entity</span></h1>", h(&entity.name));
    let _ = write!(main, "<p class=\"meta\">Table {} in module {}", code(&entity.table), code(module));
    if let Some(old) = &entity.renamed_from {
        let _ = write!(main, " · renamed from {}", code(old));
    }
    if let Origin::Relation { relation } = &entity.origin {
        let _ = write!(main, " · junction of {}", code(relation.strip_prefix("relation:").unwrap_or(relation)));
    }
    main.push_str("</p>\n");
    if let Some(doc) = &entity.doc {
        let _ = writeln!(main, "<div class=\"doc\">{}</div>", paragraphs(doc));
    }
    if !entity.patterns.is_empty() {
        main.push_str("<p class=\"badges\">");
        for pattern in &entity.patterns {
            let _ = write!(main, "<a class=\"badge\" href=\"#patterns\">{}</a> ", h(pattern));
        }
        main.push_str("</p>\n");
    }
    columns(&mut main, ir, entity);
    relations(&mut main, ir, index, entity);
    keys(&mut main, entity);
    patterns(&mut main, entity);
    access(&mut main, index, entity);
    workload(&mut main, index, entity);
    let nav = index.nav.get(module).map_or("", String::as_str);
    page::render(input, &Frame { title: &entity.name, root: "../", nav }, &main)
}

fn paragraphs(doc: &str) -> String {
    doc.split("\n\n").map(|p| format!("<p>{}</p>", h(p.trim()))).collect::<Vec<_>>().join("\n")
}

fn section_start(out: &mut String, id: &str, title: &str) {
    let _ = writeln!(out, "<section id=\"{id}\" aria-labelledby=\"{id}-title\">\n<h2 id=\"{id}-title\">{title}</h2>");
}

fn entity_link(name: &str) -> String {
    format!("<a href=\"{}.html\">{}</a>", h(name), h(name))
}

fn type_cell(ir: &Ir, ty: &Type) -> String {
    match ty {
        Type::Enum { name } => {
            let values = ir.enums.iter().find(|e| &e.name == name).map(|e| e.values.join(", ")).unwrap_or_default();
            format!("<a href=\"../index.html#type-{}\" title=\"{}\"><code>{}</code></a>", h(name), h(&values), h(name))
        }
        Type::Domain { name } => {
            format!("<a href=\"../index.html#type-{}\"><code>{}</code></a>", h(name), h(name))
        }
        Type::Array { element } => format!("{}<code>[]</code>", type_cell(ir, element)),
        other => code(&type_text(other)),
    }
}

fn columns(out: &mut String, ir: &Ir, entity: &Entity) {
    section_start(out, "columns", "Columns");
    out.push_str(
        "<table>\n<thead><tr><th scope=\"col\">Column</th><th scope=\"col\">Type</th><th scope=\"col\">Null</th><th scope=\"col\">Default</th><th scope=\"col\">Notes</th></tr></thead>\n<tbody>\n",
    );
    for field in &entity.fields {
        let _ = write!(out, "<tr id=\"column-{}\"><th scope=\"row\"><code>{}</code>", h(&field.name), h(&field.name));
        for marker in key_markers(entity, field) {
            let _ = write!(out, " <span class=\"key\">{marker}</span>");
        }
        if let Some(mode) = field.pii {
            let _ = write!(out, " <span class=\"pii\" title=\"personal data\">PII {}</span>", words::pii_name(mode));
        }
        let _ = writeln!(
            out,
            "</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            type_cell(ir, &field.ty),
            if field.nullable { "optional" } else { "required" },
            default_text(field),
            notes(entity, field)
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn key_markers(entity: &Entity, field: &Field) -> Vec<&'static str> {
    let mut markers = Vec::new();
    if entity.primary_key.contains(&field.name) {
        markers.push("PK");
    }
    if entity.foreign_keys.iter().any(|fk| fk.columns.contains(&field.name)) {
        markers.push("FK");
    }
    if entity.uniques.iter().any(|u| u.columns.len() == 1 && u.columns[0] == field.name) {
        markers.push("UK");
    }
    markers
}

fn default_text(field: &Field) -> String {
    if field.identity {
        return "identity".into();
    }
    if let Some(generated) = &field.generated {
        return format!("generated: {}", code(&expr_text(generated)));
    }
    field.default.as_ref().map(|d| code(&expr_text(d))).unwrap_or_default()
}

fn notes(entity: &Entity, field: &Field) -> String {
    let mut notes = Vec::new();
    if let Some(doc) = &field.doc {
        notes.push(h(doc));
    }
    for check in entity.checks.iter().filter(|c| c.field.as_deref() == Some(field.name.as_str())) {
        notes.push(format!("check {}", code(&expr_text(&check.expr))));
    }
    for fk in entity.foreign_keys.iter().filter(|fk| fk.columns.contains(&field.name)) {
        notes.push(format!("references {}", entity_link(&fk.references)));
    }
    if let Some(mode) = field.pii {
        notes.push(words::pii(mode).to_string());
    }
    match &field.origin {
        Origin::Declared => {}
        Origin::Pattern { pattern } => notes.push(format!("added by pattern {}", code(pattern))),
        Origin::Relation { relation } => {
            notes.push(format!("added by {}", code(relation.strip_prefix("relation:").unwrap_or(relation))))
        }
        Origin::Query { .. } => {}
    }
    if let Some(old) = &field.renamed_from {
        notes.push(format!("renamed from {}", code(old)));
    }
    if let Some(d) = &field.denormalized_from {
        notes.push(format!(
            "a copy of {}.{} (through {})",
            entity_link(&d.entity),
            code(&d.field),
            code(&d.navigation)
        ));
    }
    notes.join("<br>")
}

fn relations(out: &mut String, ir: &Ir, index: &Index, entity: &Entity) {
    let involved: &[&Relation] = index.relations.get(entity.name.as_str()).map_or(&[], Vec::as_slice);
    section_start(out, "relations", "Relations");
    if involved.is_empty() {
        out.push_str("<p>None.</p>\n</section>\n");
        return;
    }
    out.push_str("<ul class=\"relations\">\n");
    for r in involved {
        let _ = writeln!(out, "<li>{}</li>", relation_sentence(ir, r, entity));
    }
    out.push_str("</ul>\n</section>\n");
}

fn nav(name: &Option<String>) -> String {
    name.as_deref().map(|n| format!("<strong>{}</strong>", h(n))).unwrap_or_else(|| "(unnamed)".into())
}

fn relation_sentence(ir: &Ir, r: &Relation, entity: &Entity) -> String {
    let name = entity.name.as_str();
    let fk = ir
        .entity(&r.holder)
        .and_then(|holder| holder.foreign_keys.iter().find(|fk| fk.relation == r.id))
        .map(|fk| {
            format!(
                " (column {}, on delete {})",
                fk.columns.iter().map(|c| code(c)).collect::<Vec<_>>().join(", "),
                words::action(fk.on_delete)
            )
        })
        .unwrap_or_default();
    let required = if r.required { "exactly one" } else { "at most one" };
    let mut text = match r.cardinality {
        Cardinality::ManyToOne if r.from.entity == name => format!(
            "{} → {}: each {} belongs to {required} {}{fk}.",
            nav(&r.from.navigation),
            entity_link(&r.to.entity),
            h(name),
            h(&r.to.entity)
        ),
        Cardinality::ManyToOne => format!(
            "{} ← {}.{}: any number of {} rows per {}.",
            nav(&r.to.navigation),
            entity_link(&r.from.entity),
            h(r.from.navigation.as_deref().unwrap_or("")),
            h(&r.from.entity),
            h(name)
        ),
        Cardinality::OneToOne if r.from.entity == name => format!(
            "{} — {}: each {} belongs to {required} {}, and each {} to at most one {}{fk}.",
            nav(&r.from.navigation),
            entity_link(&r.to.entity),
            h(name),
            h(&r.to.entity),
            h(&r.to.entity),
            h(name)
        ),
        Cardinality::OneToOne => format!(
            "{} — {}.{}: a {} has at most one {}.",
            nav(&r.to.navigation),
            entity_link(&r.from.entity),
            h(r.from.navigation.as_deref().unwrap_or("")),
            h(name),
            h(&r.from.entity)
        ),
        Cardinality::ManyToMany if r.from.entity == name || r.to.entity == name => {
            let (own, other) = if r.from.entity == name { (&r.from, &r.to) } else { (&r.to, &r.from) };
            let through = r.junction.as_deref().map(|j| format!(" through {}", entity_link(j))).unwrap_or_default();
            format!(
                "{} ↔ {}.{}: any number of each{through}.",
                nav(&own.navigation),
                entity_link(&other.entity),
                h(other.navigation.as_deref().unwrap_or(""))
            )
        }
        Cardinality::ManyToMany => format!(
            "Joins {} and {} for {} ↔ {}{fk}.",
            entity_link(&r.from.entity),
            entity_link(&r.to.entity),
            nav(&r.from.navigation),
            nav(&r.to.navigation)
        ),
        Cardinality::Polymorphic if r.from.entity == name => {
            let targets: Vec<String> =
                std::iter::once(&r.to).chain(&r.alternatives).map(|t| entity_link(&t.entity)).collect();
            format!(
                "{} → one of {}: each {} refers to {} of them (an exclusive arc: one key column per target).",
                nav(&r.from.navigation),
                targets.join(", "),
                h(name),
                if r.required { "exactly one" } else { "at most one" }
            )
        }
        Cardinality::Polymorphic => {
            let end = std::iter::once(&r.to).chain(&r.alternatives).find(|t| t.entity == name).unwrap_or(&r.to);
            format!(
                "{} ← {}.{}: any number of {} rows may refer to a {} (or to another target).",
                nav(&end.navigation),
                entity_link(&r.from.entity),
                h(r.from.navigation.as_deref().unwrap_or("")),
                h(&r.from.entity),
                h(name)
            )
        }
    };
    if let Some(doc) = &r.doc {
        let _ = write!(text, " <span class=\"note\">{}</span>", h(doc));
    }
    text
}

fn keys(out: &mut String, entity: &Entity) {
    section_start(out, "indexes", "Keys and indexes");
    out.push_str(
        "<table>\n<thead><tr><th scope=\"col\">Kind</th><th scope=\"col\">Columns</th><th scope=\"col\">Why it exists</th></tr></thead>\n<tbody>\n",
    );
    if !entity.primary_key.is_empty() {
        let _ = writeln!(
            out,
            "<tr><td>primary key</td><td>{}</td><td>identifies each row</td></tr>",
            code(&entity.primary_key.join(", "))
        );
    }
    for unique in &entity.uniques {
        let mut columns = code(&unique.columns.join(", "));
        if let Some(predicate) = &unique.predicate {
            let _ = write!(columns, " where {}", code(&expr_text(predicate)));
        }
        let _ = writeln!(out, "<tr><td>unique</td><td>{columns}</td><td>{}</td></tr>", words::origin(&unique.origin));
    }
    for index in &entity.indexes {
        let keys: Vec<String> = index
            .keys
            .iter()
            .map(|k| {
                let mut key = expr_text(&k.expr);
                if k.descending {
                    key.push_str(" desc");
                }
                key
            })
            .collect();
        let mut columns = code(&keys.join(", "));
        if !index.include.is_empty() {
            let _ = write!(columns, " include {}", code(&index.include.join(", ")));
        }
        if let Some(predicate) = &index.predicate {
            let _ = write!(columns, " where {}", code(&expr_text(predicate)));
        }
        let method = format!("{:?}", index.method).to_lowercase();
        let _ = writeln!(
            out,
            "<tr><td>index ({method})</td><td>{columns}</td><td>{}</td></tr>",
            words::origin(&index.origin)
        );
    }
    for check in entity.checks.iter().filter(|c| c.field.is_none()) {
        let name = check.name.as_deref().map(|n| format!(" {}", code(n))).unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr><td>check{name}</td><td>{}</td><td>{}</td></tr>",
            code(&expr_text(&check.expr)),
            words::origin(&check.origin)
        );
    }
    out.push_str("</tbody>\n</table>\n");
    if let Some(search) = &entity.search {
        let columns: Vec<String> =
            search.columns.iter().map(|c| format!("{} (weight {})", c.field, c.weight)).collect();
        let _ =
            writeln!(out, "<p>Full-text search over {} in {}.</p>", code(&columns.join(", ")), code(&search.language));
    }
    if let Some(partition) = &entity.partition {
        let _ = writeln!(out, "<p>Partitioned by {:?} on {}.</p>", partition.kind, code(&partition.columns.join(", ")));
    }
    out.push_str("</section>\n");
}

fn patterns(out: &mut String, entity: &Entity) {
    section_start(out, "patterns", "Patterns");
    if entity.patterns.is_empty() {
        out.push_str("<p>None applied.</p>\n</section>\n");
        return;
    }
    out.push_str("<dl>\n");
    for pattern in &entity.patterns {
        let _ = writeln!(out, "<dt><code>{}</code></dt>", h(pattern));
        let behaviours: Vec<_> = entity.behaviours.iter().filter(|b| &b.pattern == pattern).collect();
        let added: Vec<&str> = entity
            .fields
            .iter()
            .filter(|f| matches!(&f.origin, Origin::Pattern { pattern: p } if p == pattern))
            .map(|f| f.name.as_str())
            .collect();
        if !added.is_empty() {
            let _ = writeln!(out, "<dd>Adds {}.</dd>", added.iter().map(|c| code(c)).collect::<Vec<_>>().join(", "));
        }
        for b in behaviours {
            let _ = writeln!(out, "<dd><code>{}</code>: {}</dd>", words::behaviour_name(b.kind), words::behaviour(b));
        }
    }
    out.push_str("</dl>\n</section>\n");
}

fn access(out: &mut String, index: &Index, entity: &Entity) {
    section_start(out, "access", "Access");
    let grants: &[&crate::semantic::ir::Grant] = index.grants.get(entity.name.as_str()).map_or(&[], Vec::as_slice);
    if grants.is_empty() {
        out.push_str("<p>No role is granted privileges on this table (only its owner can use it).</p>\n");
    } else {
        out.push_str(
            "<table>\n<thead><tr><th scope=\"col\">Role</th><th scope=\"col\">May</th></tr></thead>\n<tbody>\n",
        );
        let mut roles: Vec<&str> = grants.iter().map(|g| g.role.as_str()).collect();
        roles.dedup();
        for role in roles {
            let privileges: Vec<String> = grants
                .iter()
                .filter(|g| g.role == role)
                .map(|g| {
                    let mut p = format!("{:?}", g.privilege).to_lowercase();
                    if let Some(columns) = &g.columns {
                        let _ = write!(p, " ({})", columns.join(", "));
                    }
                    p
                })
                .collect();
            let _ = writeln!(out, "<tr><td><code>{}</code></td><td>{}</td></tr>", h(role), h(&privileges.join(", ")));
        }
        out.push_str("</tbody>\n</table>\n");
    }
    let policies: &[&crate::semantic::ir::Policy] = index.policies.get(entity.name.as_str()).map_or(&[], Vec::as_slice);
    let tenant = entity.behaviours.iter().find(|b| b.kind == crate::semantic::ir::BehaviourKind::TenantIsolation);
    if policies.is_empty() && tenant.is_none() {
        out.push_str("<p>No row-level security: a role that may read the table reads every row.</p>\n");
    } else {
        out.push_str("<p>Row-level security is on and forced (the owner too): a role sees or changes a row only when some policy allows it and no restriction excludes it.</p>\n<ul class=\"policies\">\n");
        if let Some(b) = tenant {
            let _ = writeln!(
                out,
                "<li><strong>Tenant isolation</strong> (pattern {}): {}</li>",
                code(&b.pattern),
                words::behaviour(b)
            );
        }
        for p in policies {
            let _ = write!(out, "<li id=\"policy-{}\"><code>{}</code>: {}", h(&p.name), h(&p.name), words::policy(p));
            if let Some(doc) = &p.doc {
                let _ = write!(out, " <span class=\"note\">{}</span>", h(doc));
            }
            out.push_str("</li>\n");
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

fn workload(out: &mut String, index: &Index, entity: &Entity) {
    let queries: &[&crate::semantic::ir::Query] = index.queries.get(entity.name.as_str()).map_or(&[], Vec::as_slice);
    if queries.is_empty() && entity.volume.is_none() {
        return;
    }
    section_start(out, "workload", "Workload and volume");
    if let Some(volume) = &entity.volume {
        let _ = write!(out, "<p>About {} rows", thousands(volume.rows));
        if let Some(growth) = volume.growth_per_day {
            let _ = write!(out, ", growing by {} a day ({} a year)", thousands(growth), thousands(growth * 365));
        }
        out.push_str(".</p>\n");
    }
    if !queries.is_empty() {
        out.push_str("<ul>\n");
        for q in queries {
            let mut text = format!("<code>{}</code>", h(&q.name));
            if let Some(filter) = &q.filter {
                let _ = write!(text, " where {}", code(&expr_text(filter)));
            }
            if !q.order_by.is_empty() {
                let keys: Vec<String> = q
                    .order_by
                    .iter()
                    .map(|k| format!("{}{}", expr_text(&k.expr), if k.descending { " desc" } else { "" }))
                    .collect();
                let _ = write!(text, " order by {}", code(&keys.join(", ")));
            }
            if let Some(limit) = q.limit {
                let _ = write!(text, " limit {limit}");
            }
            if let Some(rate) = q.per_second {
                let _ = write!(text, " — {rate} per second");
            }
            use crate::performance::access_path::Served;
            match index.access.get(q.name.as_str()) {
                Some(Served::Fully(by)) => {
                    let _ = write!(text, "; served by {}", h(&by.what));
                }
                Some(Served::Partly(by)) => {
                    let _ = write!(text, "; partly served by {} (see <code>performance.md</code>)", h(&by.what));
                }
                _ => text.push_str("; <strong>no index serves it</strong> (see <code>performance.md</code>)"),
            }
            let _ = writeln!(out, "<li>{text}</li>");
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}
