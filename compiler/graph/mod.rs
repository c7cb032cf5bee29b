//! Pictures and pages from the IR: ER diagrams (Mermaid, Graphviz DOT, and an
//! SVG laid out here) and the static documentation site.
//!
//! Reads the IR only; knows no backend and does no I/O (the CLI writes the
//! files). Every output is deterministic: same IR, same bytes.

pub mod docs;
pub mod dot;
mod labels;
pub mod layout;
pub mod mermaid;
pub mod model;
pub mod svg;
pub mod text;

use crate::driver::Compilation;

/// The whole-schema pictures and the site of a compiled project.
pub struct Artifacts {
    /// The documentation site, paths relative to its directory.
    pub site: Vec<(String, String)>,
    /// `diagrams/schema.{mmd,dot,svg}`, relative to the build directory.
    pub diagrams: Vec<(String, String)>,
}

/// Everything `schemac build` draws and documents for `compilation` (after
/// the passes, so indexes they add are documented with their reason).
pub fn artifacts(compilation: &Compilation, project: &str, migrations: &[docs::Migration]) -> Artifacts {
    let modules = model::modules(compilation);
    let site = docs::site(&docs::Input { project, ir: &compilation.ir, modules: &modules, migrations });
    let diagram = model::diagram(&compilation.ir, &modules, &model::Selection::default())
        .expect("the whole schema is always selectable");
    let label = format!("Entity-relationship diagram of {project}");
    let diagrams = vec![
        ("diagrams/schema.mmd".into(), mermaid::render(&diagram)),
        ("diagrams/schema.dot".into(), dot::render(&diagram, project)),
        (
            "diagrams/schema.svg".into(),
            svg::render(&diagram, &svg::Options { id: "er-diagram", label: &label, link_prefix: None }),
        ),
    ];
    Artifacts { site, diagrams }
}

/// Text made safe inside HTML/XML elements and double-quoted attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}
