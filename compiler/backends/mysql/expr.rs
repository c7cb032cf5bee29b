//! Prints the IR's expression language as MySQL/MariaDB SQL, or says which
//! part cannot be evaluated there ([`Unsupported`]) so the lowering can
//! report it.
//!
//! Choices (spec/backends/mysql.md): times are UTC, so `now()` is
//! `utc_timestamp(6)` and `current_date()` is `utc_date()`; `uuid_v4()` and
//! `uuid_v7()` are built from `random_bytes()`; booleans are 1 and 0; `||`
//! is `concat()` (`||` is OR in MySQL); `length` counts characters
//! (`char_length`); text compares with the tables' `utf8mb4_bin` collation,
//! so `like` and `~` (`REGEXP`) are case-sensitive as on PostgreSQL and
//! `ilike` lowers both sides. Names and literals go through `quote`.

use std::fmt::Write;

use super::quote;
use crate::semantic::ir::{BinaryOp, Entity, Expr, Type};

/// Where an expression is used: MySQL refuses non-deterministic functions
/// in CHECK constraints, generated columns and index keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Default,
    Check,
    Generated,
    /// A view's filter.
    Query,
    /// A row trigger's condition: columns are `NEW.<column>`.
    Row,
}

/// What names in an expression refer to.
pub struct Scope<'a> {
    /// The entity whose fields columns name (none for a type alias check).
    pub entity: Option<&'a Entity>,
    /// In a type alias check, the SQL `value` stands for (the column).
    pub value: Option<&'a str>,
    pub place: Place,
}

impl Scope<'_> {
    fn column(&self, field: &str) -> String {
        if let (Some(value), true) = (self.value, field == "value") {
            return value.to_string();
        }
        let column = self.entity.and_then(|e| e.field(field)).map_or(field, |f| f.column.as_str());
        if self.place == Place::Row {
            return format!("NEW.{}", quote::ident(column));
        }
        quote::ident(column)
    }

    fn field_type(&self, field: &str) -> Option<&Type> {
        self.entity.and_then(|e| e.field(field)).map(|f| &f.ty)
    }
}

/// A construct MySQL cannot evaluate, with what to do instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// What it is, for the diagnostic's message: "the session context value `ctx.tenant`".
    pub construct: String,
    pub help: String,
}

type Printed = Result<(), Unsupported>;

fn unsupported(construct: impl Into<String>, help: impl Into<String>) -> Unsupported {
    Unsupported { construct: construct.into(), help: help.into() }
}

/// `now()`: UTC, microseconds (the columns are `datetime(6)`).
pub const NOW: &str = "utc_timestamp(6)";

/// RFC 9562 version 4: 122 random bits; the version nibble is 4, the
/// variant one of 8, 9, a, b.
pub const UUID_V4: &str = "lower(concat(hex(random_bytes(4)), '-', hex(random_bytes(2)), '-4', \
     substr(hex(random_bytes(2)), 2), '-', substr('89ab', 1 + floor(rand() * 4), 1), \
     substr(hex(random_bytes(2)), 2), '-', hex(random_bytes(6))))";

/// RFC 9562 version 7: 48 bits of Unix milliseconds, then as version 4.
pub const UUID_V7: &str =
    "lower(concat(insert(lpad(hex(floor(unix_timestamp(current_timestamp(3)) * 1000)), 12, '0'), 9, 0, '-'), \
     '-7', substr(hex(random_bytes(2)), 2), '-', substr('89ab', 1 + floor(rand() * 4), 1), \
     substr(hex(random_bytes(2)), 2), '-', hex(random_bytes(6))))";

/// A condition or value, outermost parentheses left off.
pub fn print(expr: &Expr, scope: &Scope) -> Result<String, Unsupported> {
    let mut out = String::new();
    write_expr(&mut out, expr, scope, false)?;
    Ok(out)
}

/// A constant array or object as JSON; none when a part is not constant.
pub fn json_value(expr: &Expr) -> Option<serde_json::Value> {
    use serde_json::Value;
    Some(match expr {
        Expr::Null => Value::Null,
        Expr::Bool { value } => Value::Bool(*value),
        Expr::Int { value } | Expr::Decimal { value } => serde_json::from_str(value).ok()?,
        Expr::String { value } | Expr::EnumValue { value, .. } => Value::String(value.clone()),
        Expr::Array { items } => Value::Array(items.iter().map(json_value).collect::<Option<_>>()?),
        Expr::Object { members } => {
            Value::Object(members.iter().map(|(k, v)| Some((k.clone(), json_value(v)?))).collect::<Option<_>>()?)
        }
        Expr::Neg { expr } => match json_value(expr)? {
            Value::Number(n) => serde_json::from_str(&format!("-{n}")).ok()?,
            _ => return None,
        },
        _ => return None,
    })
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
        BinaryOp::Match => "REGEXP",
        BinaryOp::Like | BinaryOp::ILike => "LIKE",
        BinaryOp::Concat => "||",
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        BinaryOp::Rem => "MOD",
    }
}

/// Writes `expr`; compound expressions are parenthesised when `nested`.
fn write_expr(out: &mut String, expr: &Expr, scope: &Scope, nested: bool) -> Printed {
    let (open, close) = if nested { ("(", ")") } else { ("", "") };
    match expr {
        Expr::Null => out.push_str("NULL"),
        Expr::Bool { value } => out.push_str(if *value { "1" } else { "0" }),
        Expr::Int { value } | Expr::Decimal { value } => out.push_str(value),
        Expr::String { value } | Expr::EnumValue { value, .. } => out.push_str(&quote::literal(value)),
        Expr::Column { name } => out.push_str(&scope.column(name)),
        Expr::Context { name, .. } => {
            return Err(unsupported(
                format!("the session context value `ctx.{name}`"),
                "MySQL/MariaDB keep no typed per-session settings schemac could read; check the value in the \
                 application",
            ))
        }
        Expr::Param { name } => {
            return Err(unsupported(format!("the query parameter `${name}`"), "parameters belong in queries"))
        }
        Expr::Call { function, args } => write_call(out, function, args, scope)?,
        Expr::Array { .. } | Expr::Object { .. } => match json_value(expr) {
            Some(json) => out.push_str(&quote::literal(&json.to_string())),
            None => {
                return Err(unsupported(
                    "an array or object built from non-constant values",
                    "use constant values, or build the JSON in the application",
                ))
            }
        },
        // How the server prints it back: `NOT flag` is `flag = 0`.
        Expr::Not { expr: inner } if is_bool_column(inner, scope) => {
            out.push_str(open);
            write_expr(out, inner, scope, true)?;
            out.push_str(" = 0");
            out.push_str(close);
        }
        Expr::Not { expr } => {
            out.push_str(open);
            out.push_str("NOT ");
            write_expr(out, expr, scope, true)?;
            out.push_str(close);
        }
        Expr::Neg { expr } => {
            out.push('-');
            write_expr(out, expr, scope, true)?;
        }
        Expr::Binary { op, left, right } => write_binary(out, *op, left, right, scope, nested)?,
        Expr::IsNull { expr, negated } => {
            out.push_str(open);
            write_expr(out, expr, scope, true)?;
            out.push_str(if *negated { " IS NOT NULL" } else { " IS NULL" });
            out.push_str(close);
        }
        Expr::InList { expr, list, negated } if list.len() == 1 => {
            out.push_str(open);
            write_expr(out, expr, scope, true)?;
            out.push_str(if *negated { " <> " } else { " = " });
            write_expr(out, &list[0], scope, true)?;
            out.push_str(close);
        }
        Expr::InList { expr, list, negated } => {
            out.push_str(open);
            write_expr(out, expr, scope, true)?;
            out.push_str(if *negated { " NOT IN (" } else { " IN (" });
            write_list(out, list, scope)?;
            out.push(')');
            out.push_str(close);
        }
        Expr::Between { expr, low, high, negated } => {
            out.push_str(open);
            write_expr(out, expr, scope, true)?;
            out.push_str(if *negated { " NOT BETWEEN " } else { " BETWEEN " });
            write_expr(out, low, scope, true)?;
            out.push_str(" AND ");
            write_expr(out, high, scope, true)?;
            out.push_str(close);
        }
        Expr::Sql { text } => {
            if crate::backends::has_postgres_cast(text) {
                return Err(unsupported(
                    format!("PostgreSQL's `::` cast in `sql(\"{text}\")`"),
                    "this SQL was written for PostgreSQL (an import keeps what it cannot read as SQL), and MySQL \
                     has no `::`: write the expression in the language, or use `CAST(… AS …)`",
                ));
            }
            out.push('(');
            out.push_str(text);
            out.push(')');
        }
    }
    Ok(())
}

fn write_binary(out: &mut String, op: BinaryOp, left: &Expr, right: &Expr, scope: &Scope, nested: bool) -> Printed {
    let (open, close) = if nested { ("(", ")") } else { ("", "") };
    match op {
        BinaryOp::Concat => {
            out.push_str("concat(");
            write_expr(out, left, scope, false)?;
            out.push_str(", ");
            write_expr(out, right, scope, false)?;
            out.push(')');
            return Ok(());
        }
        BinaryOp::ILike => {
            out.push_str(open);
            out.push_str("lower(");
            write_expr(out, left, scope, false)?;
            out.push_str(") LIKE lower(");
            write_expr(out, right, scope, false)?;
            out.push(')');
            out.push_str(close);
            return Ok(());
        }
        BinaryOp::Add | BinaryOp::Sub if temporal(left, scope).is_some() => {
            return write_shifted(out, op, left, right, scope, nested);
        }
        _ => {}
    }
    out.push_str(open);
    write_expr(out, left, scope, true)?;
    let _ = write!(out, " {} ", operator(op));
    write_expr(out, right, scope, true)?;
    out.push_str(close);
    Ok(())
}

fn is_bool_column(e: &Expr, scope: &Scope) -> bool {
    matches!(e, Expr::Column { name } if scope.field_type(name) == Some(&Type::Bool))
}

/// Whether `e` is a point in time, and which: a date, or a timestamp.
fn temporal(e: &Expr, scope: &Scope) -> Option<bool> {
    match e {
        Expr::Call { function, .. } => match function.as_str() {
            "now" | "current_timestamp" | "localtimestamp" => Some(false),
            "current_date" | "date" => Some(true),
            _ => None,
        },
        Expr::Column { name } => match scope.field_type(name)? {
            Type::Date => Some(true),
            Type::Timestamp { .. } | Type::Timestamptz { .. } => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// `ts ± '3 days'`, `d ± 3`: `ts - INTERVAL 3 DAY`.
fn write_shifted(out: &mut String, op: BinaryOp, left: &Expr, right: &Expr, scope: &Scope, nested: bool) -> Printed {
    let is_date = temporal(left, scope) == Some(true);
    let interval = match right {
        Expr::Int { value } if is_date => format!("INTERVAL {value} DAY"),
        Expr::String { value } => interval(value).ok_or_else(|| {
            unsupported(
                format!("the interval '{value}'"),
                "MySQL shifts a time by a number of one unit (second, minute, hour, day, week, month, year): \
                 write it as '30 days'",
            )
        })?,
        _ => {
            return Err(unsupported(
                "arithmetic on a date or timestamp with a computed amount",
                "shift by a constant interval ('30 days'), or compute the time in the application",
            ))
        }
    };
    let (open, close) = if nested { ("(", ")") } else { ("", "") };
    out.push_str(open);
    write_expr(out, left, scope, true)?;
    let _ = write!(out, " {} {interval}", if op == BinaryOp::Sub { "-" } else { "+" });
    out.push_str(close);
    Ok(())
}

/// `'30 days'` → `INTERVAL 30 DAY`; none when not one number and a unit.
fn interval(text: &str) -> Option<String> {
    let mut parts = text.split_whitespace();
    let count: u64 = parts.next()?.parse().ok()?;
    let unit = parts.next()?.to_ascii_lowercase();
    if parts.next().is_some() {
        return None;
    }
    let unit = match unit.trim_end_matches('s') {
        "second" => "SECOND",
        "minute" => "MINUTE",
        "hour" => "HOUR",
        "day" => "DAY",
        "week" => "WEEK",
        "month" => "MONTH",
        "year" => "YEAR",
        _ => return None,
    };
    Some(format!("INTERVAL {count} {unit}"))
}

fn write_list(out: &mut String, items: &[Expr], scope: &Scope) -> Printed {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_expr(out, item, scope, true)?;
    }
    Ok(())
}

/// Refuses a function MySQL would refuse where the expression is used.
fn deterministic_only(function: &str, scope: &Scope) -> Printed {
    let place = match scope.place {
        Place::Generated => "a generated column",
        Place::Check => "a CHECK constraint",
        Place::Default | Place::Query | Place::Row => return Ok(()),
    };
    Err(unsupported(
        format!("`{function}()` in {place}"),
        format!(
            "MySQL/MariaDB refuse functions whose result changes from call to call in {place}: compute the value \
             in the application or use a default"
        ),
    ))
}

fn write_call(out: &mut String, function: &str, args: &[Expr], scope: &Scope) -> Printed {
    match (function, args) {
        ("now" | "current_timestamp", []) => {
            deterministic_only(function, scope)?;
            out.push_str(NOW);
        }
        ("localtimestamp", []) => {
            deterministic_only(function, scope)?;
            out.push_str("now(6)");
        }
        ("current_date", []) => {
            deterministic_only(function, scope)?;
            out.push_str("utc_date()");
        }
        ("uuid_v4", []) => {
            deterministic_only(function, scope)?;
            out.push_str(UUID_V4);
        }
        ("uuid_v7", []) => {
            deterministic_only(function, scope)?;
            out.push_str(UUID_V7);
        }
        ("sql", [Expr::String { value }]) => {
            out.push('(');
            out.push_str(value);
            out.push(')');
        }
        ("length", _) => {
            out.push_str("char_length(");
            write_list(out, args, scope)?;
            out.push(')');
        }
        ("round", [only]) => {
            out.push_str("round(");
            write_expr(out, only, scope, false)?;
            out.push_str(", 0)");
        }
        ("date", [only]) => {
            out.push_str("cast(");
            write_expr(out, only, scope, false)?;
            out.push_str(" AS date)");
        }
        ("lower" | "upper" | "trim" | "abs" | "round" | "coalesce", _) => {
            out.push_str(function);
            out.push('(');
            write_list(out, args, scope)?;
            out.push(')');
        }
        _ => {
            return Err(unsupported(
                format!("the function `{function}`"),
                "use one of the functions spec/expressions.md lists",
            ))
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(place: Place) -> Scope<'static> {
        Scope { entity: None, value: None, place }
    }

    fn col(name: &str) -> Box<Expr> {
        Box::new(Expr::Column { name: name.into() })
    }

    #[test]
    fn concatenation_is_a_function_and_regexes_are_native() {
        let e = Expr::Binary { op: BinaryOp::Concat, left: col("a"), right: col("b") };
        assert_eq!(print(&e, &scope(Place::Check)).unwrap(), "concat(`a`, `b`)");
        let regex = Expr::Binary {
            op: BinaryOp::Match,
            left: col("a"),
            right: Box::new(Expr::String { value: "^\\d".into() }),
        };
        assert_eq!(print(&regex, &scope(Place::Check)).unwrap(), "`a` REGEXP '^\\\\d'");
    }

    #[test]
    fn volatile_functions_are_refused_in_checks_and_intervals_are_native() {
        let now = Expr::Call { function: "now".into(), args: vec![] };
        assert_eq!(print(&now, &scope(Place::Default)).unwrap(), NOW);
        assert!(print(&now, &scope(Place::Check)).is_err());
        let e = Expr::Binary {
            op: BinaryOp::Sub,
            left: Box::new(now),
            right: Box::new(Expr::String { value: "2 weeks".into() }),
        };
        assert_eq!(print(&e, &scope(Place::Query)).unwrap(), "utc_timestamp(6) - INTERVAL 2 WEEK");
    }
}
