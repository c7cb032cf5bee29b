//! A json shape as a CHECK condition on one column: `json_type(col, path)`
//! for each declared key. A CHECK passes when its condition is NULL, so each
//! test is written to be true or false, never NULL (`json_type` of a missing
//! key is NULL: read as `'null'`). A NULL column passes: whether it may be
//! NULL is the column's business.
//!
//! SQLite allows no subquery in a CHECK, so the elements of an array
//! (`json_each`) cannot be tested: a shape that says what they are is
//! [`Unsupported`].

use super::expr::Unsupported;
use super::quote::literal;
use crate::semantic::ir::{JsonShape, ShapeKind};

/// The condition that `column` (SQL) holds an object of this shape.
pub fn check(shape: &JsonShape, column: &str) -> Result<String, Unsupported> {
    let mut parts = vec![format!("json_type({column}) = 'object'")];
    parts.extend(members(shape, column, "$")?);
    Ok(parts.join(" AND "))
}

fn members(shape: &JsonShape, column: &str, base: &str) -> Result<Vec<String>, Unsupported> {
    let mut out = Vec::new();
    for m in &shape.members {
        let path = format!("{base}.\"{}\"", m.name);
        if let Some(test) = value(&m.kind, column, &path, m.optional, &m.name)? {
            out.push(test);
        }
    }
    Ok(out)
}

fn value(
    kind: &ShapeKind,
    column: &str,
    path: &str,
    optional: bool,
    name: &str,
) -> Result<Option<String>, Unsupported> {
    let type_of = format!("COALESCE(json_type({column}, {}), 'null')", literal(path));
    let among = |types: &[&str]| {
        let mut list: Vec<String> = types.iter().map(|t| format!("'{t}'")).collect();
        if optional {
            list.insert(0, "'null'".into());
        }
        Some(format!("{type_of} IN ({})", list.join(", ")))
    };
    let or_missing = |test: String| if optional { format!("({type_of} = 'null' OR {test})") } else { test };
    Ok(match kind {
        ShapeKind::String => among(&["text"]),
        ShapeKind::Number => among(&["integer", "real"]),
        ShapeKind::Boolean => among(&["true", "false"]),
        ShapeKind::Any if optional => None,
        ShapeKind::Any => Some(format!("{type_of} <> 'null'")),
        ShapeKind::OneOf { values } => {
            let list: Vec<String> = values.iter().map(|v| literal(v)).collect();
            Some(or_missing(format!(
                "COALESCE({type_of} = 'text' AND json_extract({column}, {}) IN ({}), 0)",
                literal(path),
                list.join(", ")
            )))
        }
        ShapeKind::Array { element } if matches!(**element, ShapeKind::Any) && optional => None,
        ShapeKind::Array { element } if !matches!(**element, ShapeKind::Any) => {
            return Err(Unsupported {
                construct: format!("the element kinds of the json array `{name}`"),
                help: "SQLite allows no subquery in a CHECK, so array elements cannot be tested: declare the \
                       member as `json` or check the elements in the application"
                    .into(),
            })
        }
        ShapeKind::Array { .. } => Some(or_missing(format!("{type_of} = 'array'"))),
        ShapeKind::Object { shape } => {
            let mut parts = vec![format!("{type_of} = 'object'")];
            parts.extend(members(shape, column, path)?);
            Some(or_missing(format!("({})", parts.join(" AND "))))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semantic::ir::ShapeMember;

    #[test]
    fn optional_members_may_be_missing_or_null() {
        let shape = JsonShape {
            members: vec![
                ShapeMember {
                    name: "theme".into(),
                    optional: true,
                    kind: ShapeKind::OneOf { values: vec!["dark".into()] },
                },
                ShapeMember { name: "n".into(), optional: false, kind: ShapeKind::Number },
            ],
        };
        assert_eq!(
            check(&shape, "\"s\"").unwrap(),
            "json_type(\"s\") = 'object' AND (COALESCE(json_type(\"s\", '$.\"theme\"'), 'null') = 'null' OR \
             COALESCE(COALESCE(json_type(\"s\", '$.\"theme\"'), 'null') = 'text' AND json_extract(\"s\", \
             '$.\"theme\"') IN ('dark'), 0)) AND COALESCE(json_type(\"s\", '$.\"n\"'), 'null') IN ('integer', 'real')"
        );
    }
}
