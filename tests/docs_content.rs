//! What the documentation site says, checked on examples/saas: the security
//! report (roles, privileges per table, policies in words, PII fields), every
//! column on its entity's page, relations both ways, every entity linked from
//! the overview, and byte-identical output. (The browser test,
//! tests/docs_browser.rs, checks that the pages work.)

use std::collections::BTreeMap;
use std::path::Path;

use schemac::driver::compile;

mod support;
use support::example_inputs;

fn saas_site() -> (schemac::semantic::ir::Ir, BTreeMap<String, String>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/saas");
    let mut compilation = compile(&example_inputs(&dir));
    assert!(!compilation.has_errors());
    let _ = schemac::pipeline::build(&mut compilation, &schemac::pipeline::Options::default());
    let first = schemac::graph::artifacts(&compilation, "saas", &[]);
    let again = schemac::graph::artifacts(&compilation, "saas", &[]);
    assert_eq!(first.site, again.site, "same IR, same site");
    assert_eq!(first.diagrams, again.diagrams, "same IR, same diagrams");
    (compilation.ir, first.site.into_iter().collect())
}

/// The text of an HTML fragment without its tags.
fn words(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

#[test]
fn security_report_lists_roles_privileges_policies_and_personal_data() {
    let (_, site) = saas_site();
    let report = &site["security.html"];
    let text = words(report);
    for role in ["app_user", "support", "auditor"] {
        assert!(report.contains(&format!("<h3 id=\"role-{role}\">")), "role {role} has a section");
    }
    // Column grants show their columns; rows reached say tenant and policy.
    assert!(text.contains("Userselect (id, name, email)its tenant's"), "{text}");
    assert!(text.contains("Postselectits tenant's, limited by published_only"), "{text}");
    assert!(text.contains("Tenantselectas own_tenant allow"), "{text}");
    assert!(text.contains("Membershipselect, insert, update, deleteits tenant's"), "{text}");
    // Policies in plain words.
    assert!(text.contains("published_only: Restricts support: they may read only rows where published."), "{text}");
    assert!(text.contains("own_posts: Restricts app_user: they may update only rows where author_id == ctx.user_id."));
    // Every saas table filters rows; a table without would be named.
    assert!(!text.contains("Without row-level security"), "{text}");
    // Personal data, with what the protection means.
    assert!(text.contains("User.ssnpii(encrypt)Stored encrypted"), "{text}");
    assert!(text.contains("User.phonepii(mask)Roles without clearance read it masked"), "{text}");
}

#[test]
fn every_column_has_a_row_and_relations_read_both_ways() {
    let (ir, site) = saas_site();
    let index = &site["index.html"];
    for entity in &ir.entities {
        let page = &site[&format!("entities/{}.html", entity.name)];
        assert!(page.contains(&format!("<h1>{} <span", entity.name)));
        for field in &entity.fields {
            assert!(page.contains(&format!("<tr id=\"column-{}\">", field.name)), "{}.{}", entity.name, field.name);
        }
        assert!(index.contains(&format!("href=\"entities/{}.html\"", entity.name)), "{} linked", entity.name);
        assert!(index.contains(&format!("data-entity=\"{}\"", entity.name)), "{} drawn", entity.name);
    }
    let post = words(&site["entities/Post.html"]);
    assert!(
        post.contains("author → User: each Post belongs to exactly one User (column author_id, on delete restrict).")
    );
    assert!(post.contains("comments ← Comment.post: any number of Comment rows per Post."), "{post}");
    let user = words(&site["entities/User.html"]);
    assert!(user.contains("teams ↔ Team.members: any number of each through Membership."), "{user}");
    // Indexes say why they exist.
    assert!(post.contains("foreign key of Post.author"), "{post}");
    assert!(post.contains("from pattern tenant_scoped"), "{post}");
    // The search index has every column.
    let search = &site["assets/search-index.js"];
    assert!(search.contains("[\"User\",\"email\",\"email\"]"), "{search}");
}

#[test]
fn tables_without_row_level_security_are_named() {
    let source = "role reader\n\nentity Note {\n  id int primary\n}\n\ngrant select on Note to reader\n";
    let mut compilation = schemac::driver::compile_str("notes.schema", source);
    assert!(!compilation.has_errors());
    let _ = schemac::pipeline::build(&mut compilation, &schemac::pipeline::Options::default());
    let site: BTreeMap<String, String> =
        schemac::graph::artifacts(&compilation, "notes", &[]).site.into_iter().collect();
    let text = words(&site["security.html"]);
    assert!(text.contains("Noteselectall"), "{text}");
    assert!(text.contains("Without row-level security (a role that may read them reads every row): Note."), "{text}");
    assert!(text.contains("No field is marked pii."), "{text}");
}
