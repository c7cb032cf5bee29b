//! A [`Diagram`] as a Mermaid `erDiagram`, for READMEs and GitHub, which
//! render it inline.
//!
//! Mermaid's grammar is narrow: attribute types may hold only letters,
//! digits, `_`, `-`, `[]` and `()`, and comments no double quote, so types
//! like `numeric(12, 2)` and optionality are spelled within those limits.
//! Modules become `%%` comments (erDiagram has no clusters).

use std::fmt::Write;

use super::model::{Diagram, End};

pub fn render(diagram: &Diagram) -> String {
    let mut out = String::from("erDiagram\n");
    for (group, name) in diagram.groups.iter().enumerate() {
        let _ = writeln!(out, "  %% module {name}");
        for entity in diagram.entities.iter().filter(|e| e.group == group) {
            let _ = writeln!(out, "  {} {{", entity.name);
            for row in &entity.rows {
                let (ty, optional) = match row.ty.strip_suffix('?') {
                    Some(ty) => (ty, true),
                    None => (row.ty.as_str(), false),
                };
                let _ = write!(out, "    {} {}", attribute_type(ty), row.name);
                if !row.keys.is_empty() {
                    let keys: Vec<&str> = row.keys.iter().map(|k| k.marker()).collect();
                    let _ = write!(out, " {}", keys.join(", "));
                }
                let mut notes = Vec::new();
                if optional {
                    notes.push("optional".to_string());
                }
                if let Some(mode) = row.pii {
                    notes.push(format!("pii {mode}"));
                }
                if !notes.is_empty() {
                    let _ = write!(out, " \"{}\"", notes.join(", "));
                }
                out.push('\n');
            }
            out.push_str("  }\n");
        }
    }
    for link in &diagram.links {
        let parent = &diagram.entities[link.to].name;
        let child = &diagram.entities[link.from].name;
        let label = if link.label.is_empty() { link.columns.join(", ") } else { link.label.clone() };
        let _ = writeln!(
            out,
            "  {parent} {}--{} {child} : \"{}\"",
            left(link.to_end),
            right(link.from_end),
            comment_text(&label)
        );
    }
    out
}

/// The parent's end, written on the left of `--`.
fn left(end: End) -> &'static str {
    match end {
        End::ExactlyOne => "||",
        End::ZeroOrOne => "|o",
        End::ZeroOrMany => "}o",
    }
}

/// The child's end, written on the right of `--`.
fn right(end: End) -> &'static str {
    match end {
        End::ExactlyOne => "||",
        End::ZeroOrOne => "o|",
        End::ZeroOrMany => "o{",
    }
}

/// `numeric(12, 2)` → `numeric(12_2)`: only the characters Mermaid accepts.
fn attribute_type(ty: &str) -> String {
    ty.replace(", ", "_")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "_-[]()".contains(c) { c } else { '_' })
        .collect()
}

fn comment_text(text: &str) -> String {
    text.chars().map(|c| if c == '"' || c.is_control() { '\'' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::super::model::{EntityBox, Key, Link, Row};
    use super::*;

    #[test]
    fn cardinalities_and_types_in_mermaid_spelling() {
        let row = |name: &str, ty: &str, keys: Vec<Key>| Row { name: name.into(), ty: ty.into(), keys, pii: None };
        let diagram = Diagram {
            groups: vec!["shop".into()],
            entities: vec![
                EntityBox {
                    name: "Order".into(),
                    group: 0,
                    doc: None,
                    rows: vec![row("id", "bigint", vec![Key::Primary]), row("total", "numeric(12, 2)?", vec![])],
                    badges: vec![],
                },
                EntityBox {
                    name: "Line".into(),
                    group: 0,
                    doc: None,
                    rows: vec![row("order_id", "bigint", vec![Key::Foreign])],
                    badges: vec![],
                },
            ],
            links: vec![Link {
                from: 1,
                to: 0,
                from_end: End::ZeroOrMany,
                to_end: End::ExactlyOne,
                label: "order / \"lines\"".into(),
                columns: vec!["order_id".into()],
            }],
        };
        let text = render(&diagram);
        assert!(text.contains("    numeric(12_2) total \"optional\"\n"), "{text}");
        assert!(text.contains("  Order ||--o{ Line : \"order / 'lines'\"\n"), "{text}");
    }
}
