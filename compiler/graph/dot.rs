//! A [`Diagram`] as Graphviz DOT: one HTML-like table per entity (PK/FK
//! markers, types, pattern badges), one cluster per module, crow's-foot
//! arrow shapes at both ends of every foreign key.
//!
//! Graphviz lays it out (`dot -Tsvg schema.dot`); schemac's own SVG does not
//! depend on it.

use std::fmt::Write;

use super::model::{Diagram, End};

pub fn render(diagram: &Diagram, title: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph {} {{", quoted(title));
    out.push_str("  graph [rankdir=BT, fontname=\"Helvetica\", fontsize=12, nodesep=0.4, ranksep=0.7];\n");
    out.push_str("  node [shape=plain, fontname=\"Helvetica\", fontsize=10];\n");
    out.push_str("  edge [dir=both, fontname=\"Helvetica\", fontsize=9, color=\"#5b6b82\"];\n");
    for (group, name) in diagram.groups.iter().enumerate() {
        let _ = writeln!(out, "  subgraph {} {{", quoted(&format!("cluster_{group}")));
        let _ = writeln!(out, "    label={}; style=\"rounded\"; color=\"#c7d0dd\";", quoted(name));
        for entity in diagram.entities.iter().filter(|e| e.group == group) {
            let _ = writeln!(out, "    {} [label=<", quoted(&entity.name));
            out.push_str("      <table border=\"0\" cellborder=\"1\" cellspacing=\"0\" cellpadding=\"3\">\n");
            let _ = writeln!(
                out,
                "        <tr><td colspan=\"3\" bgcolor=\"#dbe6f5\"><b>{}</b></td></tr>",
                html(&entity.name)
            );
            if !entity.badges.is_empty() {
                let _ = writeln!(
                    out,
                    "        <tr><td colspan=\"3\"><font point-size=\"8\">{}</font></td></tr>",
                    html(&entity.badges.join(" · "))
                );
            }
            for row in &entity.rows {
                let keys: Vec<&str> = row.keys.iter().map(|k| k.marker()).collect();
                let mut ty = row.ty.clone();
                if let Some(mode) = row.pii {
                    ty.push_str(&format!(" pii({mode})"));
                }
                let _ = writeln!(
                    out,
                    "        <tr><td>{}</td><td port=\"{}\" align=\"left\">{}</td><td align=\"left\">{}</td></tr>",
                    html(&keys.join(",")),
                    html(&row.name),
                    html(&row.name),
                    html(&ty)
                );
            }
            out.push_str("      </table>>];\n");
        }
        out.push_str("  }\n");
    }
    for link in &diagram.links {
        let from = &diagram.entities[link.from].name;
        let to = &diagram.entities[link.to].name;
        let tail = match link.columns.as_slice() {
            [column] if diagram.entities[link.from].rows.iter().any(|r| &r.name == column) => {
                format!("{}:{}", quoted(from), quoted(column))
            }
            _ => quoted(from),
        };
        let _ = writeln!(
            out,
            "  {tail} -> {} [arrowtail={}, arrowhead={}, label={}];",
            quoted(to),
            arrow(link.from_end),
            arrow(link.to_end),
            quoted(&link.label)
        );
    }
    out.push_str("}\n");
    out
}

/// Graphviz arrow shapes, nearest the node first.
fn arrow(end: End) -> &'static str {
    match end {
        End::ExactlyOne => "teetee",
        End::ZeroOrOne => "teeodot",
        End::ZeroOrMany => "crowodot",
    }
}

fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' => out.push(' '),
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

fn html(text: &str) -> String {
    super::escape_html(text)
}
