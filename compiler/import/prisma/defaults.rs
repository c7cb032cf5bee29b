//! `@default(…)`: what the database fills in when an insert gives no value.
//!
//! Literals, enum values, lists, `now()` and `dbgenerated("…")` become the
//! field's default expression; `autoincrement()` makes the field `serial`
//! (Prisma creates SERIAL/BIGSERIAL). `uuid()`, `cuid()`, `nanoid()` and
//! `ulid()` are computed by Prisma Client, not the database, so they leave
//! the column without a default and say what to use instead. This module
//! decides what a default means; the caller reports.

use super::ast::{Argument, Value};
use super::types::Scalar;
use crate::diagnostics::{codes, Code, Span};
use crate::semantic::ir::Expr;

/// What the field's type is, as far as defaults care.
pub enum FieldKind<'a> {
    Scalar(Scalar),
    /// An enum: its name and the (Prisma name, stored label) of each value.
    Enum {
        name: &'a str,
        values: &'a [(String, String)],
    },
    /// A type of the language Prisma has no scalar for (`Unsupported("…")`).
    Other,
}

/// What a `@default` means for the column.
#[derive(Debug, Clone, PartialEq)]
pub enum Default {
    Value(Expr),
    /// `autoincrement()`: a sequence owned by the column.
    Serial,
    /// Computed by Prisma Client (`uuid()`, …): no database default.
    Client {
        function: String,
        instead: &'static str,
    },
    /// `dbgenerated()` without text, `sequence()`, `auto()`: nothing the
    /// language can write.
    Unsupported {
        why: String,
    },
}

/// Why a default cannot be read: the code (E1001 for a name that is not
/// there, E1002 otherwise), the message and where.
pub struct Invalid {
    pub code: Code,
    pub message: String,
    pub span: Span,
}

fn invalid(value: &Value, message: impl Into<String>) -> Invalid {
    Invalid { code: codes::E1002, message: message.into(), span: value.span() }
}

/// The meaning of `@default(value)` on a field of `kind` (`list`: `T[]`).
pub fn lower(value: &Value, kind: &FieldKind, list: bool) -> Result<Default, Invalid> {
    if let Value::Call { name, args, .. } = value {
        return call(value, &name.text, args, kind);
    }
    if let FieldKind::Scalar(Scalar::Bytes) = kind {
        return Ok(Default::Unsupported { why: "a `Bytes` default is base64 text the language cannot write".into() });
    }
    if list {
        let Value::Array { items, .. } = value else {
            return Err(invalid(value, "a list field's default is a list: `@default([…])`"));
        };
        let items = items.iter().map(|item| literal(item, kind)).collect::<Result<Vec<_>, _>>()?;
        return Ok(Default::Value(Expr::Array { items }));
    }
    literal(value, kind).map(Default::Value)
}

fn call(value: &Value, function: &str, args: &[Argument], kind: &FieldKind) -> Result<Default, Invalid> {
    let text_arg = || args.first().and_then(|a| a.value.as_str());
    match function {
        "now" => Ok(Default::Value(Expr::Call { function: "current_timestamp".into(), args: Vec::new() })),
        "autoincrement" => match kind {
            FieldKind::Scalar(s) if s.is_integer() => Ok(Default::Serial),
            _ => Err(invalid(value, "`autoincrement()` is for `Int` and `BigInt` fields")),
        },
        "dbgenerated" => match text_arg() {
            Some(text) => Ok(Default::Value(Expr::Sql { text: text.to_string() })),
            None => Ok(Default::Unsupported {
                why: "`dbgenerated()` without its SQL leaves the default to the database as it is".into(),
            }),
        },
        "uuid" => {
            let v7 = args.first().is_some_and(|a| matches!(&a.value, Value::Number { text, .. } if text == "7"));
            Ok(Default::Client {
                function: if v7 { "uuid(7)".into() } else { "uuid()".into() },
                instead: if v7 { "uuid_v7()" } else { "uuid_v4()" },
            })
        }
        "cuid" | "nanoid" | "ulid" => Ok(Default::Client { function: format!("{function}()"), instead: "uuid_v7()" }),
        "sequence" | "auto" => {
            Ok(Default::Unsupported { why: format!("`{function}()` exists only on CockroachDB and MongoDB") })
        }
        other => match kind {
            FieldKind::Enum { .. } => Err(invalid(value, format!("`{other}(…)` is not a value of this enum"))),
            _ => Err(invalid(value, format!("`{other}()` is not a default function Prisma has"))),
        },
    }
}

/// A constant default of a field of `kind`.
fn literal(value: &Value, kind: &FieldKind) -> Result<Expr, Invalid> {
    match (value, kind) {
        (Value::Name(name), FieldKind::Enum { name: enum_name, values }) => {
            match values.iter().find(|(prisma, _)| *prisma == name.text) {
                Some((_, label)) => Ok(Expr::EnumValue { enum_name: enum_name.to_string(), value: label.clone() }),
                None => Err(Invalid {
                    code: codes::E1001,
                    message: format!("`{}` is not a value of enum `{enum_name}`", name.text),
                    span: name.span,
                }),
            }
        }
        (Value::Name(name), FieldKind::Scalar(Scalar::Boolean)) if name.text == "true" || name.text == "false" => {
            Ok(Expr::Bool { value: name.text == "true" })
        }
        (Value::String { value: text, .. }, FieldKind::Scalar(Scalar::Json)) => match serde_json::from_str(text) {
            Ok(json) => Ok(json_expr(&json)),
            Err(e) => Err(invalid(value, format!("the default is not valid JSON: {e}"))),
        },
        (Value::String { value: text, .. }, _) => Ok(Expr::String { value: text.clone() }),
        (Value::Number { text, .. }, FieldKind::Scalar(s))
            if s.is_integer() || matches!(s, Scalar::Float | Scalar::Decimal) =>
        {
            Ok(number(text))
        }
        (Value::Number { text, .. }, FieldKind::Other) => Ok(number(text)),
        _ => Err(invalid(value, format!("{} does not fit this field's type", value.describe()))),
    }
}

/// `-1.5` as the language writes it: a negated literal.
fn number(text: &str) -> Expr {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let literal = if digits.contains('.') {
        Expr::Decimal { value: digits.to_string() }
    } else {
        Expr::Int { value: digits.to_string() }
    };
    if negative {
        Expr::Neg { expr: Box::new(literal) }
    } else {
        literal
    }
}

/// A JSON document as the language's literal (`{}`, `['a']`, …).
fn json_expr(json: &serde_json::Value) -> Expr {
    match json {
        serde_json::Value::Null => Expr::Null,
        serde_json::Value::Bool(value) => Expr::Bool { value: *value },
        serde_json::Value::Number(n) => number(&n.to_string()),
        serde_json::Value::String(s) => Expr::String { value: s.clone() },
        serde_json::Value::Array(items) => Expr::Array { items: items.iter().map(json_expr).collect() },
        serde_json::Value::Object(members) => {
            Expr::Object { members: members.iter().map(|(k, v)| (k.clone(), json_expr(v))).collect() }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::FileId;
    use crate::import::prisma::ast::Ident;

    fn name(text: &str) -> Value {
        Value::Name(Ident { text: text.into(), span: Span::new(FileId(0), 0, 0) })
    }

    fn call_of(function: &str) -> Value {
        let span = Span::new(FileId(0), 0, 0);
        Value::Call { name: Ident { text: function.into(), span }, args: Vec::new(), span }
    }

    #[test]
    fn now_autoincrement_and_client_functions_mean_what_the_database_does() {
        let int = FieldKind::Scalar(Scalar::Int);
        let text = FieldKind::Scalar(Scalar::String);
        assert_eq!(
            lower(&call_of("now"), &FieldKind::Scalar(Scalar::DateTime), false).ok(),
            Some(Default::Value(Expr::Call { function: "current_timestamp".into(), args: vec![] }))
        );
        assert_eq!(lower(&call_of("autoincrement"), &int, false).ok(), Some(Default::Serial));
        assert!(lower(&call_of("autoincrement"), &text, false).is_err());
        assert!(matches!(lower(&call_of("cuid"), &text, false), Ok(Default::Client { instead: "uuid_v7()", .. })));
    }

    #[test]
    fn literals_keep_their_kind() {
        let values = [("ADMIN".to_string(), "admin".to_string())];
        let role = FieldKind::Enum { name: "Role", values: &values };
        assert_eq!(
            lower(&name("ADMIN"), &role, false).ok(),
            Some(Default::Value(Expr::EnumValue { enum_name: "Role".into(), value: "admin".into() }))
        );
        assert!(lower(&name("GUEST"), &role, false).is_err());
        let span = Span::new(FileId(0), 0, 0);
        let minus = Value::Number { text: "-2".into(), span };
        assert_eq!(
            lower(&minus, &FieldKind::Scalar(Scalar::Int), false).ok(),
            Some(Default::Value(Expr::Neg { expr: Box::new(Expr::Int { value: "2".into() }) }))
        );
        let json = Value::String { value: "{\"a\": [1]}".into(), span };
        let Ok(Default::Value(Expr::Object { members })) = lower(&json, &FieldKind::Scalar(Scalar::Json), false) else {
            panic!("json default")
        };
        assert_eq!(members[0].0, "a");
    }
}
