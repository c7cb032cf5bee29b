//! Prints the IR's expression language as PostgreSQL SQL.
//!
//! The output is what PostgreSQL itself would print back (`pg_get_expr`) up
//! to parentheses, casts and quoting: `between` becomes two comparisons,
//! `!=` becomes `<>`, constant arrays and objects become typed literals. That
//! keeps the catalog comparison (`compare.rs`) exact. Names go through
//! `quote`; nothing here decides what an expression means.

use std::fmt::Write;

use super::{quote, types};
use crate::semantic::ir::{BinaryOp, Entity, Expr, Type};

/// What names in an expression refer to.
pub struct Scope<'a> {
    pub schema: &'a str,
    /// The entity whose fields columns name (none for a domain check).
    pub entity: Option<&'a Entity>,
    /// In a domain check, `value` is the value being checked (`VALUE`).
    pub domain_value: bool,
}

impl Scope<'_> {
    fn column(&self, field: &str) -> String {
        if self.domain_value && field == "value" {
            return "VALUE".into();
        }
        let column = self.entity.and_then(|e| e.field(field)).map_or(field, |f| f.column.as_str());
        quote::ident(column)
    }
}

/// Whether `e` is a point in time (a date or timestamp column, `now()`).
fn temporal(e: &Expr, scope: &Scope) -> bool {
    match e {
        Expr::Call { function, .. } => {
            matches!(function.as_str(), "now" | "current_timestamp" | "current_date" | "localtimestamp")
        }
        Expr::Column { name } => scope
            .entity
            .and_then(|entity| entity.field(name))
            .is_some_and(|f| matches!(f.ty, Type::Timestamp { .. } | Type::Timestamptz { .. } | Type::Date)),
        _ => false,
    }
}

/// A condition or value, outermost parentheses left off.
pub fn print(expr: &Expr, scope: &Scope) -> String {
    let mut out = String::new();
    write_expr(&mut out, expr, scope, false);
    out
}

/// A column default: constant arrays and objects are written as literals of
/// the column's type (`'{}'::text[]`, `'{}'::jsonb`).
pub fn default_value(expr: &Expr, ty: &Type, scope: &Scope) -> String {
    if let Some(literal) = constant_literal(expr, ty, scope.schema) {
        return literal;
    }
    print(expr, scope)
}

fn constant_literal(expr: &Expr, ty: &Type, schema: &str) -> Option<String> {
    match expr {
        Expr::Array { items } => {
            let mut text = String::from("{");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                text.push_str(&array_element(item)?);
            }
            text.push('}');
            Some(format!("{}::{}", quote::literal(&text), types::sql(ty, schema)))
        }
        Expr::Object { .. } => Some(format!("{}::jsonb", quote::literal(&jsonb_text(expr)?))),
        _ => None,
    }
}

/// One element of an array literal, quoted the way PostgreSQL's array
/// output quotes it.
fn array_element(item: &Expr) -> Option<String> {
    let raw = match item {
        Expr::String { value } => value.clone(),
        Expr::Int { value } | Expr::Decimal { value } => return Some(value.clone()),
        Expr::Bool { value } => return Some(if *value { "t" } else { "f" }.into()),
        Expr::EnumValue { value, .. } => value.clone(),
        Expr::Null => return Some("NULL".into()),
        _ => return None,
    };
    let needs_quotes = raw.is_empty()
        || raw.eq_ignore_ascii_case("null")
        || raw.chars().any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_ascii_whitespace());
    if !needs_quotes {
        return Some(raw);
    }
    let mut out = String::from("\"");
    for c in raw.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Some(out)
}

/// JSON text in the form `jsonb` prints it: object keys ordered by length,
/// then bytes; `", "` and `": "` as separators.
fn jsonb_text(expr: &Expr) -> Option<String> {
    let mut out = String::new();
    write_json(&mut out, expr)?;
    Some(out)
}

fn write_json(out: &mut String, expr: &Expr) -> Option<()> {
    match expr {
        Expr::Null => out.push_str("null"),
        Expr::Bool { value } => out.push_str(if *value { "true" } else { "false" }),
        Expr::Int { value } | Expr::Decimal { value } => out.push_str(value),
        Expr::String { value } | Expr::EnumValue { value, .. } => {
            out.push_str(&serde_json::to_string(value).ok()?);
        }
        Expr::Array { items } => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json(out, item)?;
            }
            out.push(']');
        }
        Expr::Object { members } => {
            let mut sorted: Vec<&(String, Expr)> = members.iter().collect();
            sorted.sort_by(|a, b| a.0.len().cmp(&b.0.len()).then_with(|| a.0.as_bytes().cmp(b.0.as_bytes())));
            // jsonb keeps the last of duplicate keys.
            sorted.dedup_by(|later, earlier| later.0 == earlier.0);
            out.push('{');
            for (i, (key, value)) in sorted.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&serde_json::to_string(key).ok()?);
                out.push_str(": ");
                write_json(out, value)?;
            }
            out.push('}');
        }
        Expr::Neg { expr } => {
            out.push('-');
            write_json(out, expr)?;
        }
        _ => return None,
    }
    Some(())
}

fn operator(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Or => "OR",
        BinaryOp::And => "AND",
        BinaryOp::Eq => "=",
        BinaryOp::Ne => "<>",
        BinaryOp::Lt => "<",
        BinaryOp::Le => "<=",
        BinaryOp::Gt => ">",
        BinaryOp::Ge => ">=",
        BinaryOp::Match => "~",
        BinaryOp::Like => "LIKE",
        BinaryOp::ILike => "ILIKE",
        BinaryOp::Concat => "||",
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        BinaryOp::Rem => "%",
    }
}

/// Writes `expr`; compound expressions are parenthesised when `nested`.
fn write_expr(out: &mut String, expr: &Expr, scope: &Scope, nested: bool) {
    let open = |out: &mut String| {
        if nested {
            out.push('(');
        }
    };
    let close = |out: &mut String| {
        if nested {
            out.push(')');
        }
    };
    match expr {
        Expr::Null => out.push_str("NULL"),
        Expr::Bool { value } => out.push_str(if *value { "true" } else { "false" }),
        Expr::Int { value } | Expr::Decimal { value } => out.push_str(value),
        Expr::String { value } => out.push_str(&quote::literal(value)),
        Expr::Column { name } => out.push_str(&scope.column(name)),
        Expr::EnumValue { enum_name, value } => {
            let _ = write!(
                out,
                "{}::{}",
                quote::literal(value),
                types::sql(&Type::Enum { name: enum_name.clone() }, scope.schema)
            );
        }
        Expr::Context { name, ty } => {
            // Unset or reset (`''`) both read as NULL, so a missing value
            // matches nothing instead of failing the cast.
            let _ = write!(
                out,
                "(NULLIF(current_setting({}, true), ''))::{}",
                quote::literal(&format!("app.{name}")),
                types::sql(ty, scope.schema)
            );
        }
        Expr::Param { name } => {
            let _ = write!(out, ":{name}");
        }
        Expr::Call { function, args } => write_call(out, function, args, scope),
        // An empty array literal takes its type from the other side.
        Expr::Array { items } if items.is_empty() => out.push_str("'{}'"),
        Expr::Array { items } => {
            out.push_str("ARRAY[");
            write_list(out, items, scope);
            out.push(']');
        }
        Expr::Object { .. } => match jsonb_text(expr) {
            Some(text) => {
                let _ = write!(out, "{}::jsonb", quote::literal(&text));
            }
            None => out.push_str("NULL"),
        },
        Expr::Not { expr } => {
            open(out);
            out.push_str("NOT ");
            write_expr(out, expr, scope, true);
            close(out);
        }
        Expr::Neg { expr } => {
            out.push('-');
            write_expr(out, expr, scope, true);
        }
        Expr::Binary { op, left, right } => {
            open(out);
            write_expr(out, left, scope, true);
            let _ = write!(out, " {} ", operator(*op));
            match right.as_ref() {
                // `now() - '30 days'`: PostgreSQL would read the literal as a
                // timestamp (the other operand's type); it is an interval.
                Expr::String { value } if matches!(op, BinaryOp::Add | BinaryOp::Sub) && temporal(left, scope) => {
                    let _ = write!(out, "{}::interval", quote::literal(value));
                }
                _ => write_expr(out, right, scope, true),
            }
            close(out);
        }
        Expr::IsNull { expr, negated } => {
            open(out);
            write_expr(out, expr, scope, true);
            out.push_str(if *negated { " IS NOT NULL" } else { " IS NULL" });
            close(out);
        }
        Expr::InList { expr, list, negated } => {
            open(out);
            write_expr(out, expr, scope, true);
            out.push_str(if *negated { " NOT IN (" } else { " IN (" });
            write_list(out, list, scope);
            out.push(')');
            close(out);
        }
        Expr::Between { expr, low, high, negated } => {
            // PostgreSQL stores `between` as two comparisons; so do we.
            let (lower, join, upper) = if *negated { (" < ", " OR ", " > ") } else { (" >= ", " AND ", " <= ") };
            open(out);
            write_expr(out, expr, scope, true);
            out.push_str(lower);
            write_expr(out, low, scope, true);
            out.push_str(join);
            write_expr(out, expr, scope, true);
            out.push_str(upper);
            write_expr(out, high, scope, true);
            close(out);
        }
        Expr::Sql { text } => {
            open(out);
            out.push_str(text);
            close(out);
        }
    }
}

fn write_list(out: &mut String, items: &[Expr], scope: &Scope) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_expr(out, item, scope, true);
    }
}

fn write_call(out: &mut String, function: &str, args: &[Expr], scope: &Scope) {
    match (function, args) {
        ("now", _) => out.push_str("now()"),
        ("current_date", _) => out.push_str("CURRENT_DATE"),
        ("current_timestamp", _) => out.push_str("CURRENT_TIMESTAMP"),
        ("localtimestamp", _) => out.push_str("LOCALTIMESTAMP"),
        ("uuid_v4", _) => out.push_str("gen_random_uuid()"),
        ("uuid_v7", _) => {
            let _ = write!(out, "{}()", quote::qualified(scope.schema, UUID_V7));
        }
        ("trim", [arg]) => {
            out.push_str("TRIM(BOTH FROM ");
            write_expr(out, arg, scope, false);
            out.push(')');
        }
        ("date", [arg]) => {
            out.push('(');
            write_expr(out, arg, scope, false);
            out.push_str(")::date");
        }
        ("coalesce", _) => {
            out.push_str("COALESCE(");
            write_list(out, args, scope);
            out.push(')');
        }
        ("sql", [Expr::String { value }]) => {
            out.push('(');
            out.push_str(value);
            out.push(')');
        }
        _ => {
            out.push_str(function);
            out.push('(');
            write_list(out, args, scope);
            out.push(')');
        }
    }
}

/// The helper function `uuid_v7()` lowers to (PostgreSQL 15 has none built in).
pub const UUID_V7: &str = "schemac_uuid_v7";

/// Whether the expression calls `uuid_v7()` (so the helper must exist).
pub fn uses_uuid_v7(expr: &Expr) -> bool {
    let mut found = false;
    expr.visit(&mut |e| {
        if matches!(e, Expr::Call { function, .. } if function == "uuid_v7") {
            found = true;
        }
    });
    found
}

/// Whether the expression contains hand-written SQL.
pub fn is_raw(expr: &Expr) -> bool {
    let mut found = false;
    expr.visit(&mut |e| {
        if matches!(e, Expr::Sql { .. }) || matches!(e, Expr::Call { function, .. } if function == "sql") {
            found = true;
        }
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Expr {
        Expr::String { value: v.into() }
    }

    #[test]
    fn json_objects_print_like_jsonb() {
        let object = Expr::Object {
            members: vec![
                ("zz".into(), Expr::Int { value: "1".into() }),
                ("a".into(), Expr::Array { items: vec![s("x")] }),
            ],
        };
        assert_eq!(jsonb_text(&object).unwrap(), r#"{"a": ["x"], "zz": 1}"#);
    }

    #[test]
    fn array_literals_quote_like_array_out() {
        let scope = Scope { schema: "public", entity: None, domain_value: false };
        let array = Expr::Array { items: vec![s("a"), s("b c"), s(""), s("NULL"), s("q\"")] };
        let ty = Type::Array { element: Box::new(Type::Text) };
        assert_eq!(default_value(&array, &ty, &scope), r#"'{a,"b c","","NULL","q\""}'::text[]"#);
    }
}
