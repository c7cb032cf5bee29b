//! `security.html`: the security report — every role and what it may do on
//! each table, which tables filter rows per session and by which policies
//! (in plain words), and every field holding personal data with how it is
//! protected. Tables no role may use are listed too, so nothing is missed.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::page::{self, Frame};
use super::words::{self, code};
use super::{entity_href, Index, Input};
use crate::graph::escape_html as h;
use crate::semantic::ir::{BehaviourKind, Privilege};

pub fn page(input: &Input, index: &Index, nav: &str) -> String {
    let ir = input.ir;
    let mut main = String::from("<h1>Security</h1>\n");
    main.push_str(
        "<p class=\"meta\">Who may do what, which rows each session sees, and where personal data is. Generated from the <code>role</code>, <code>grant</code>, <code>policy</code> and <code>pii</code> declarations and the patterns applied.</p>\n",
    );

    // Roles and their privileges, per table.
    main.push_str("<section id=\"roles\" aria-labelledby=\"roles-title\">\n<h2 id=\"roles-title\">Roles</h2>\n");
    if ir.roles.is_empty() {
        main.push_str("<p>The schema declares no role: only the owner of the tables can use them.</p>\n");
    }
    for role in &ir.roles {
        let _ = writeln!(main, "<h3 id=\"role-{}\"><code>{}</code></h3>", h(&role.name), h(&role.name));
        let mut about = String::from(if role.login { "Can log in" } else { "Cannot log in (a group role)" });
        if !role.inherits.is_empty() {
            let parents: Vec<String> = role.inherits.iter().map(|r| code(r)).collect();
            let _ = write!(about, "; also has every privilege of {}", parents.join(", "));
        }
        if let Some(doc) = &role.doc {
            let _ = write!(about, ". {}", h(doc.trim_end_matches('.')));
        }
        let _ = writeln!(main, "<p>{about}.</p>");
        let mut per_table: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for grant in ir.grants.iter().filter(|g| g.role == role.name) {
            let mut privilege = privilege_name(grant.privilege).to_string();
            if let Some(columns) = &grant.columns {
                let _ = write!(privilege, " ({})", columns.join(", "));
            }
            per_table.entry(&grant.entity).or_default().push(privilege);
        }
        if per_table.is_empty() {
            main.push_str("<p>No privilege of its own on any table.</p>\n");
            continue;
        }
        main.push_str("<table>\n<thead><tr><th scope=\"col\">Table</th><th scope=\"col\">May</th><th scope=\"col\">Rows</th></tr></thead>\n<tbody>\n");
        for (table, privileges) in per_table {
            let _ = writeln!(
                main,
                "<tr><th scope=\"row\"><a href=\"{}#access\">{}</a></th><td>{}</td><td>{}</td></tr>",
                h(&entity_href(table)),
                h(table),
                h(&privileges.join(", ")),
                rows_for(input, index, table, &role.name)
            );
        }
        main.push_str("</tbody>\n</table>\n");
    }
    main.push_str("</section>\n");

    // Row-level security per table.
    main.push_str(
        "<section id=\"rows\" aria-labelledby=\"rows-title\">\n<h2 id=\"rows-title\">Row-level security</h2>\n",
    );
    main.push_str("<p>On these tables row-level security is enabled and forced (the owner included): a session sees or changes a row only when some policy allows it and no restriction excludes it.</p>\n<dl>\n");
    let mut unfiltered = Vec::new();
    for entity in &ir.entities {
        let tenant = entity.behaviours.iter().find(|b| b.kind == BehaviourKind::TenantIsolation);
        let policies: &[&crate::semantic::ir::Policy] =
            index.policies.get(entity.name.as_str()).map_or(&[], Vec::as_slice);
        if tenant.is_none() && policies.is_empty() {
            unfiltered.push(entity.name.as_str());
            continue;
        }
        let _ = writeln!(main, "<dt><a href=\"{}#access\">{}</a></dt>", h(&entity_href(&entity.name)), h(&entity.name));
        if let Some(b) = tenant {
            let _ = writeln!(main, "<dd><strong>Tenant isolation</strong>: {}</dd>", words::behaviour(b));
        }
        for p in policies {
            let _ = writeln!(main, "<dd><code>{}</code>: {}</dd>", h(&p.name), words::policy(p));
        }
    }
    main.push_str("</dl>\n");
    if !unfiltered.is_empty() {
        let links: Vec<String> =
            unfiltered.iter().map(|n| format!("<a href=\"{}\">{}</a>", h(&entity_href(n)), h(n))).collect();
        let _ = writeln!(
            main,
            "<p>Without row-level security (a role that may read them reads every row): {}.</p>",
            links.join(", ")
        );
    }
    main.push_str("</section>\n");

    // Personal data.
    main.push_str("<section id=\"pii\" aria-labelledby=\"pii-title\">\n<h2 id=\"pii-title\">Personal data</h2>\n");
    let fields: Vec<_> =
        ir.entities.iter().flat_map(|e| e.fields.iter().filter_map(move |f| f.pii.map(|mode| (e, f, mode)))).collect();
    if fields.is_empty() {
        main.push_str("<p>No field is marked <code>pii</code>.</p>\n");
    } else {
        main.push_str("<table>\n<thead><tr><th scope=\"col\">Field</th><th scope=\"col\">Protection</th><th scope=\"col\">What it means</th></tr></thead>\n<tbody>\n");
        for (entity, field, mode) in fields {
            let _ = writeln!(
                main,
                "<tr><th scope=\"row\"><a href=\"{}#column-{}\">{}.{}</a></th><td>{}</td><td>{}</td></tr>",
                h(&entity_href(&entity.name)),
                h(&field.name),
                h(&entity.name),
                h(&field.name),
                code(&format!("pii({})", words::pii_name(mode))),
                words::pii(mode)
            );
        }
        main.push_str("</tbody>\n</table>\n");
    }
    main.push_str("</section>\n");
    page::render(input, &Frame { title: "Security", root: "", nav }, &main)
}

/// Which rows of `table` the role reaches, in words.
fn rows_for(input: &Input, index: &Index, table: &str, role: &str) -> String {
    let ir = input.ir;
    let Some(entity) = ir.entity(table) else { return String::new() };
    let tenant = entity.behaviours.iter().any(|b| b.kind == BehaviourKind::TenantIsolation);
    // A policy `to` a role applies to the roles that inherit it too.
    let mut member_of = vec![role];
    let mut i = 0;
    while i < member_of.len() {
        if let Some(r) = ir.roles.iter().find(|r| r.name == member_of[i]) {
            for parent in &r.inherits {
                if !member_of.contains(&parent.as_str()) {
                    member_of.push(parent);
                }
            }
        }
        i += 1;
    }
    let applies = |roles: &[String]| roles.is_empty() || roles.iter().any(|r| member_of.contains(&r.as_str()));
    let link = |p: &&&crate::semantic::ir::Policy| {
        format!("<a href=\"{}#policy-{}\">{}</a>", h(&entity_href(table)), h(&p.name), h(&p.name))
    };
    let on_table: &[&crate::semantic::ir::Policy] = index.policies.get(table).map_or(&[], Vec::as_slice);
    let policies: Vec<_> = on_table.iter().filter(|p| applies(&p.roles)).collect();
    let allowing: Vec<String> = policies.iter().filter(|p| !p.restrictive).map(link).collect();
    let limiting: Vec<String> = policies.iter().filter(|p| p.restrictive).map(link).collect();
    let mut parts = Vec::new();
    if tenant {
        parts.push("its tenant's".to_string());
    }
    if !allowing.is_empty() {
        parts.push(format!("as {} allow", allowing.join(", ")));
    }
    if !limiting.is_empty() {
        parts.push(format!("limited by {}", limiting.join(", ")));
    }
    if parts.is_empty() {
        if !on_table.is_empty() {
            "none (no policy applies to this role)".into()
        } else {
            "all".into()
        }
    } else {
        parts.join(", ")
    }
}

fn privilege_name(p: Privilege) -> &'static str {
    match p {
        Privilege::Select => "select",
        Privilege::Insert => "insert",
        Privilege::Update => "update",
        Privilege::Delete => "delete",
        Privilege::References => "references",
        Privilege::Truncate => "truncate",
        Privilege::Trigger => "trigger",
        Privilege::Execute => "execute",
    }
}
