//! A json shape as a CHECK condition on one column: `json_type()` of each
//! declared key (`json_extract(col, path)`). A CHECK passes when its
//! condition is NULL, so each test is written to be true or false, never
//! NULL (the type of a missing key is read as `'NULL'`, as a JSON null is).
//! A NULL column passes: whether it may be NULL is the column's business.
//!
//! MySQL allows no subquery (nor JSON_TABLE) in a CHECK, so the elements of
//! an array cannot be tested: a shape that says what they are is
//! [`Unsupported`].

use super::expr::Unsupported;
use super::quote::literal;
use crate::semantic::ir::{JsonShape, ShapeKind};

/// The condition that `column` (SQL) holds an object of this shape.
pub fn check(shape: &JsonShape, column: &str) -> Result<String, Unsupported> {
    let mut parts = vec![format!("json_type({column}) = 'OBJECT'")];
    parts.extend(members(shape, column, "$")?);
    Ok(parts.join(" AND "))
}

fn members(shape: &JsonShape, column: &str, base: &str) -> Result<Vec<String>, Unsupported> {
    let mut out = Vec::new();
    for m in &shape.members {
        let path = format!("{base}.\"{}\"", m.name.replace('\\', "\\\\").replace('"', "\\\""));
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
    let extract = format!("json_extract({column}, {})", literal(path));
    let type_of = format!("coalesce(json_type({extract}), 'NULL')");
    let among = |types: &[&str]| {
        let mut list: Vec<String> = types.iter().map(|t| format!("'{t}'")).collect();
        if optional {
            list.insert(0, "'NULL'".into());
        }
        Some(format!("{type_of} IN ({})", list.join(", ")))
    };
    let or_missing = |test: String| if optional { format!("({type_of} = 'NULL' OR {test})") } else { test };
    Ok(match kind {
        ShapeKind::String => among(&["STRING"]),
        ShapeKind::Number => among(&["INTEGER", "UNSIGNED INTEGER", "DOUBLE", "DECIMAL"]),
        ShapeKind::Boolean => among(&["BOOLEAN"]),
        ShapeKind::Any if optional => None,
        ShapeKind::Any => Some(format!("{type_of} <> 'NULL'")),
        ShapeKind::OneOf { values } => {
            let list: Vec<String> = values.iter().map(|v| literal(v)).collect();
            Some(or_missing(format!(
                "coalesce({type_of} = 'STRING' AND json_unquote({extract}) IN ({}), 0)",
                list.join(", ")
            )))
        }
        ShapeKind::Array { element } if matches!(**element, ShapeKind::Any) && optional => None,
        ShapeKind::Array { element } if !matches!(**element, ShapeKind::Any) => {
            return Err(Unsupported {
                construct: format!("the element kinds of the json array `{name}`"),
                help: "MySQL allows no subquery in a CHECK, so array elements cannot be tested: declare the member \
                       as `json` or check the elements in the application"
                    .into(),
            })
        }
        ShapeKind::Array { .. } => Some(or_missing(format!("{type_of} = 'ARRAY'"))),
        ShapeKind::Object { shape } => {
            let mut parts = vec![format!("{type_of} = 'OBJECT'")];
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
                ShapeMember { name: "on".into(), optional: true, kind: ShapeKind::Boolean },
                ShapeMember { name: "n".into(), optional: false, kind: ShapeKind::Number },
            ],
        };
        assert_eq!(
            check(&shape, "`s`").unwrap(),
            "json_type(`s`) = 'OBJECT' AND coalesce(json_type(json_extract(`s`, '$.\"on\"')), 'NULL') IN ('NULL', \
             'BOOLEAN') AND coalesce(json_type(json_extract(`s`, '$.\"n\"')), 'NULL') IN ('INTEGER', 'UNSIGNED \
             INTEGER', 'DOUBLE', 'DECIMAL')"
        );
    }
}
