//! `index.html`: the whole schema at a glance — the ER diagram with zoom and
//! pan (click a box for its page), entities by module, enums and named
//! types, roles, and a link to the migration history.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::page::{self, Frame};
use super::words::code;
use super::{entity_href, Input};
use crate::graph::escape_html as h;
use crate::graph::model::{self, Selection};
use crate::graph::svg;
use crate::graph::text::{expr_text, type_text};

pub fn page(input: &Input, nav: &str) -> String {
    let ir = input.ir;
    let mut main = String::new();
    let _ = writeln!(main, "<h1>{} schema</h1>", h(input.project));
    let _ = writeln!(
        main,
        "<p class=\"meta\">{} entities, {} relations, {} enums, {} roles, {} policies{}.</p>",
        ir.entities.len(),
        ir.relations.len(),
        ir.enums.len(),
        ir.roles.len(),
        ir.policies.len(),
        if input.migrations.is_empty() {
            String::new()
        } else {
            let n = input.migrations.len();
            format!(", <a href=\"migrations.html\">{n} migration{}</a>", if n == 1 { "" } else { "s" })
        }
    );
    let diagram = model::diagram(ir, input.modules, &Selection::default()).expect("the whole schema is selectable");
    let label = format!("Entity-relationship diagram of {}: {} entities", input.project, ir.entities.len());
    main.push_str(
        "<section id=\"diagram\" aria-labelledby=\"diagram-title\">\n<h2 id=\"diagram-title\">Diagram</h2>\n",
    );
    main.push_str(
        "<div class=\"zoom\" role=\"group\" aria-label=\"Zoom\"><button type=\"button\" id=\"zoom-in\" aria-label=\"Zoom in\">+</button><button type=\"button\" id=\"zoom-out\" aria-label=\"Zoom out\">−</button><button type=\"button\" id=\"zoom-reset\">Fit</button><span class=\"hint\">Scroll to zoom, drag to move, click a box to open it.</span></div>\n",
    );
    main.push_str("<figure class=\"diagram\">\n");
    main.push_str(&svg::render(
        &diagram,
        &svg::Options { id: "er-diagram", label: &label, link_prefix: Some("entities/") },
    ));
    main.push_str("</figure>\n</section>\n");

    let mut by_module: BTreeMap<&str, Vec<&crate::semantic::ir::Entity>> = BTreeMap::new();
    for entity in &ir.entities {
        by_module.entry(input.modules.get(&entity.name).map_or("schema", String::as_str)).or_default().push(entity);
    }
    main.push_str("<section id=\"modules\" aria-labelledby=\"modules-title\">\n<h2 id=\"modules-title\">Entities by module</h2>\n");
    for (module, entities) in by_module {
        let _ = writeln!(main, "<h3 id=\"module-{}\">{}</h3>\n<dl class=\"entities\">", h(module), h(module));
        for entity in entities {
            let doc = entity.doc.as_deref().and_then(|d| d.lines().next()).unwrap_or("");
            let _ = writeln!(
                main,
                "<dt><a href=\"{}\">{}</a></dt><dd>{}</dd>",
                h(&entity_href(&entity.name)),
                h(&entity.name),
                h(doc)
            );
        }
        main.push_str("</dl>\n");
    }
    main.push_str("</section>\n");

    if !ir.enums.is_empty() || !ir.domains.is_empty() {
        main.push_str(
            "<section id=\"types\" aria-labelledby=\"types-title\">\n<h2 id=\"types-title\">Types</h2>\n<dl>\n",
        );
        for e in &ir.enums {
            let _ = writeln!(
                main,
                "<dt id=\"type-{}\"><code>{}</code> (enum)</dt><dd>{}{}</dd>",
                h(&e.name),
                h(&e.name),
                e.values.iter().map(|v| code(v)).collect::<Vec<_>>().join(", "),
                e.doc.as_deref().map(|d| format!(" — {}", h(d))).unwrap_or_default()
            );
        }
        for d in &ir.domains {
            let mut text = format!("based on {}", code(&type_text(&d.base)));
            if let Some(check) = &d.check {
                let _ = write!(text, ", check {}", code(&expr_text(check)));
            }
            if let Some(shape) = &d.shape {
                let keys: Vec<String> =
                    shape.members.iter().map(|m| format!("{}{}", m.name, if m.optional { "?" } else { "" })).collect();
                let _ = write!(text, ", a JSON object with keys {}", code(&keys.join(", ")));
            }
            if let Some(doc) = &d.doc {
                let _ = write!(text, " — {}", h(doc));
            }
            let _ = writeln!(main, "<dt id=\"type-{}\"><code>{}</code></dt><dd>{text}</dd>", h(&d.name), h(&d.name));
        }
        main.push_str("</dl>\n</section>\n");
    }

    if !ir.roles.is_empty() {
        main.push_str(
            "<section id=\"roles\" aria-labelledby=\"roles-title\">\n<h2 id=\"roles-title\">Roles</h2>\n<p>What each role may do on each table, which rows it reaches and where personal data is: the <a href=\"security.html\">security report</a>.</p>\n<dl>\n",
        );
        for role in &ir.roles {
            let mut text = String::from(if role.login { "can log in" } else { "cannot log in (a group role)" });
            if !role.inherits.is_empty() {
                let _ = write!(
                    text,
                    "; has the privileges of {}",
                    role.inherits.iter().map(|r| code(r)).collect::<Vec<_>>().join(", ")
                );
            }
            let tables: Vec<&str> = {
                let mut t: Vec<&str> =
                    ir.grants.iter().filter(|g| g.role == role.name).map(|g| g.entity.as_str()).collect();
                t.dedup();
                t
            };
            if !tables.is_empty() {
                let links: Vec<String> =
                    tables.iter().map(|t| format!("<a href=\"{}#access\">{}</a>", h(&entity_href(t)), h(t))).collect();
                let _ = write!(text, "; granted on {}", links.join(", "));
            }
            if let Some(doc) = &role.doc {
                let _ = write!(text, " — {}", h(doc));
            }
            let _ =
                writeln!(main, "<dt id=\"role-{}\"><code>{}</code></dt><dd>{text}</dd>", h(&role.name), h(&role.name));
        }
        main.push_str("</dl>\n</section>\n");
    }
    page::render(input, &Frame { title: "Overview", root: "", nav }, &main)
}
