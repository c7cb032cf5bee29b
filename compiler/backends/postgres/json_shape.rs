//! A json shape as a CHECK condition on `VALUE` (the domain's value):
//! `jsonb_typeof` for each declared key, `jsonb_path_exists` for the
//! elements of arrays. A CHECK passes when its condition is NULL, so every
//! test of a key is written to be true or false, never NULL (a missing key
//! reads as `null`). A NULL value itself passes: whether the column may be
//! NULL is the column's business.

use super::quote::literal;
use crate::semantic::ir::{JsonShape, ShapeKind};

/// The condition for a domain over jsonb with this shape.
pub fn check(shape: &JsonShape) -> String {
    let mut parts = vec!["jsonb_typeof(VALUE) = 'object'".to_string()];
    parts.extend(members(shape, "VALUE"));
    parts.join(" AND ")
}

fn members(shape: &JsonShape, base: &str) -> Vec<String> {
    shape
        .members
        .iter()
        .filter_map(|m| {
            let at = format!("({base} -> {})", literal(&m.name));
            value(&m.kind, &at, m.optional)
        })
        .collect()
}

/// `COALESCE(jsonb_typeof(x), 'null')`: the json type of `x`, `null` when missing.
fn type_of(at: &str) -> String {
    format!("COALESCE(jsonb_typeof({at}), 'null')")
}

/// The test that `at` is of `kind` (or missing / null when optional); none
/// when anything goes.
fn value(kind: &ShapeKind, at: &str, optional: bool) -> Option<String> {
    let simple = |json_type: &str| {
        Some(if optional {
            format!("{} IN ('null', '{json_type}')", type_of(at))
        } else {
            format!("{} = '{json_type}'", type_of(at))
        })
    };
    let or_missing = |test: String| {
        if optional {
            format!("({} = 'null' OR {test})", type_of(at))
        } else {
            test
        }
    };
    match kind {
        ShapeKind::String => simple("string"),
        ShapeKind::Number => simple("number"),
        ShapeKind::Boolean => simple("boolean"),
        ShapeKind::Any if optional => None,
        ShapeKind::Any => Some(format!("{} <> 'null'", type_of(at))),
        ShapeKind::OneOf { values } => {
            let list: Vec<String> = values.iter().map(|v| literal(v)).collect();
            Some(or_missing(format!(
                "COALESCE(jsonb_typeof({at}) = 'string' AND ({at} #>> '{{}}') IN ({}), false)",
                list.join(", ")
            )))
        }
        ShapeKind::Array { element } => {
            let mut test = format!("{} = 'array'", type_of(at));
            if let Some(predicate) = element_predicate(element) {
                // As PostgreSQL prints a jsonpath back, so the catalog comparison is exact.
                let path = format!("$[*]?(!({predicate}))");
                test = format!("({test} AND NOT jsonb_path_exists({at}, {}))", literal(&path));
            }
            Some(or_missing(test))
        }
        ShapeKind::Object { shape } => {
            let mut parts = vec![format!("{} = 'object'", type_of(at))];
            parts.extend(members(shape, at));
            Some(or_missing(format!("({})", parts.join(" AND "))))
        }
    }
}

/// What every element of an array must satisfy, as jsonpath (`@` is the
/// element). Members of objects inside arrays are not checked.
fn element_predicate(kind: &ShapeKind) -> Option<String> {
    Some(match kind {
        ShapeKind::String => "@.type() == \"string\"".into(),
        ShapeKind::Number => "@.type() == \"number\"".into(),
        ShapeKind::Boolean => "@.type() == \"boolean\"".into(),
        ShapeKind::Any => "@.type() != \"null\"".into(),
        ShapeKind::OneOf { values } => {
            values.iter().map(|v| format!("@ == {}", path_string(v))).collect::<Vec<_>>().join(" || ")
        }
        ShapeKind::Array { .. } => "@.type() == \"array\"".into(),
        ShapeKind::Object { .. } => "@.type() == \"object\"".into(),
    })
}

/// A jsonpath string literal.
fn path_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
