//! Prints the IR's expression language as SQLite SQL, or says which part
//! SQLite cannot evaluate ([`Unsupported`]) so the lowering can report it.
//!
//! Choices (spec/backends/sqlite.md): `now()` is
//! `strftime('%Y-%m-%d %H:%M:%f', 'now')` (UTC with milliseconds, so two
//! updates in one second still move a timestamp; `CURRENT_TIMESTAMP` keeps
//! seconds only); `uuid_v4()` and `uuid_v7()` are built from `randomblob()`;
//! booleans are 1 and 0; `like` is case-sensitive on PostgreSQL and
//! case-insensitive in SQLite, so a `like` with a constant pattern becomes
//! `GLOB`; `ilike` is `LIKE` (case-insensitive for ASCII letters only);
//! `~` has no built-in equivalent. Names go through `quote`.

use std::fmt::Write;

use super::quote;
use crate::semantic::ir::{BinaryOp, Entity, Expr, Type};

/// Where an expression is used: SQLite refuses non-deterministic functions
/// in generated columns and indexes, and `'now'` in CHECK constraints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Default,
    Check,
    Generated,
    Index,
    /// A view's filter, a trigger's body.
    Query,
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
        quote::ident(column)
    }

    fn field_type(&self, field: &str) -> Option<&Type> {
        self.entity.and_then(|e| e.field(field)).map(|f| &f.ty)
    }
}

/// A construct SQLite cannot evaluate, with what to do instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// What it is, for the diagnostic's message: "the regular expression match `~`".
    pub construct: String,
    pub help: String,
}

type Printed = Result<(), Unsupported>;

fn unsupported(construct: impl Into<String>, help: impl Into<String>) -> Unsupported {
    Unsupported { construct: construct.into(), help: help.into() }
}

/// `now()`: UTC, millisecond precision, the text form CURRENT_TIMESTAMP uses.
pub const NOW: &str = "strftime('%Y-%m-%d %H:%M:%f', 'now')";

/// RFC 9562 version 4: 122 random bits; the version nibble is 4, the variant
/// one of 8, 9, a, b.
pub const UUID_V4: &str = "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || \
     substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) || \
     substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))";

/// RFC 9562 version 7: 48 bits of Unix milliseconds, then as version 4.
/// `'now'` is the same instant everywhere in one statement.
pub const UUID_V7: &str =
    "lower(substr(printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)), 1, 8) \
     || '-' || substr(printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)), 9, 4) || '-7' || \
     substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) || \
     substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))";

/// A condition or value, outermost parentheses left off.
pub fn print(expr: &Expr, scope: &Scope) -> Result<String, Unsupported> {
    let mut out = String::new();
    write_expr(&mut out, expr, scope, false)?;
    Ok(out)
}

/// A column default: constant arrays and objects become JSON text.
pub fn default_value(expr: &Expr, scope: &Scope) -> Result<String, Unsupported> {
    if let Expr::Array { .. } | Expr::Object { .. } = expr {
        if let Some(json) = json_value(expr) {
            return Ok(quote::literal(&json.to_string()));
        }
    }
    print(expr, scope)
}

/// A constant array or object as JSON; none when a part is not constant.
fn json_value(expr: &Expr) -> Option<serde_json::Value> {
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
        BinaryOp::Match => "~",
        BinaryOp::Like => "GLOB",
        BinaryOp::ILike => "LIKE",
        BinaryOp::Concat => "||",
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        BinaryOp::Rem => "%",
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
                "SQLite has no per-session settings; check the value in the application",
            ))
        }
        Expr::Param { name } => {
            return Err(unsupported(format!("the query parameter `${name}`"), "parameters belong in queries"))
        }
        Expr::Call { function, args } => write_call(out, function, args, scope)?,
        Expr::Array { .. } | Expr::Object { .. } => match json_value(expr) {
            Some(json) => {
                let _ = write!(out, "json({})", quote::literal(&json.to_string()));
            }
            None => {
                return Err(unsupported(
                    "an array or object built from non-constant values",
                    "use constant values, or build the JSON in the application",
                ))
            }
        },
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
                    "this SQL was written for PostgreSQL (an import keeps what it cannot read as SQL), and SQLite \
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
    match (op, right) {
        (BinaryOp::Match, _) => {
            return Err(unsupported(
                "the regular expression match `~`",
                "SQLite has no built-in regular expressions: use `like` (a GLOB pattern) or check the value in \
                 the application",
            ))
        }
        (BinaryOp::Like, Expr::String { value }) => {
            out.push_str(open);
            write_expr(out, left, scope, true)?;
            let _ = write!(out, " GLOB {}", quote::literal(&like_to_glob(value)));
            out.push_str(close);
            return Ok(());
        }
        (BinaryOp::Like, _) => {
            return Err(unsupported(
                "`like` with a pattern that is not a constant",
                "SQLite's LIKE ignores case; schemac turns a constant `like` pattern into GLOB, which does not: \
                 write the pattern as a string",
            ))
        }
        (BinaryOp::Add | BinaryOp::Sub, _) if temporal(left, scope).is_some() => {
            return write_shifted(out, op, left, right, scope);
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

/// `ts ± '3 days'`, `d ± 3`: SQLite's date functions take the shift as a
/// modifier (`strftime(…, ts, '-3 days')`).
fn write_shifted(out: &mut String, op: BinaryOp, left: &Expr, right: &Expr, scope: &Scope) -> Printed {
    let is_date = temporal(left, scope) == Some(true);
    let sign = if op == BinaryOp::Sub { "-" } else { "+" };
    let modifier = match right {
        Expr::Int { value } if is_date => format!("{sign}{value} days"),
        Expr::String { value } => interval_modifier(value, sign).ok_or_else(|| {
            unsupported(
                format!("the interval '{value}'"),
                "SQLite shifts a time by a number of seconds, minutes, hours, days, weeks, months or years: \
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
    let mut base = String::new();
    write_expr(&mut base, left, scope, false)?;
    if matches!(left, Expr::Call { function, .. } if function == "now" || function == "current_timestamp") {
        base = "'now'".into();
    }
    if is_date {
        let _ = write!(out, "date({base}, {})", quote::literal(&modifier));
    } else {
        let _ = write!(out, "strftime('%Y-%m-%d %H:%M:%f', {base}, {})", quote::literal(&modifier));
    }
    Ok(())
}

/// `'30 days'` → `-30 days`; none when not one number and a unit SQLite knows.
fn interval_modifier(text: &str, sign: &str) -> Option<String> {
    let mut parts = text.split_whitespace();
    let count: u64 = parts.next()?.parse().ok()?;
    let unit = parts.next()?.to_ascii_lowercase();
    if parts.next().is_some() {
        return None;
    }
    let unit = unit.trim_end_matches('s');
    let (count, unit) = match unit {
        "week" => (count.checked_mul(7)?, "day"),
        "second" | "minute" | "hour" | "day" | "month" | "year" => (count, unit),
        _ => return None,
    };
    Some(format!("{sign}{count} {unit}s"))
}

/// A LIKE pattern (`%` any run, `_` one character, `\` escapes) as GLOB
/// (`*`, `?`; GLOB's own `*`, `?`, `[` matched literally as `[*]`, `[?]`, `[[]`).
pub fn like_to_glob(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => out.push('*'),
            '_' => out.push('?'),
            '\\' => match chars.next() {
                Some(escaped) => push_glob_literal(&mut out, escaped),
                None => out.push('\\'),
            },
            c => push_glob_literal(&mut out, c),
        }
    }
    out
}

fn push_glob_literal(out: &mut String, c: char) {
    match c {
        '*' | '?' | '[' => {
            out.push('[');
            out.push(c);
            out.push(']');
        }
        c => out.push(c),
    }
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

/// Refuses a function SQLite would refuse where the expression is used.
fn deterministic_only(function: &str, scope: &Scope, allowed_in_checks: bool) -> Printed {
    let refused = match scope.place {
        Place::Generated | Place::Index => true,
        Place::Check => !allowed_in_checks,
        Place::Default | Place::Query => false,
    };
    if refused {
        let place = match scope.place {
            Place::Generated => "a generated column",
            Place::Index => "an index",
            _ => "a CHECK constraint",
        };
        return Err(unsupported(
            format!("`{function}()` in {place}"),
            format!("SQLite refuses functions whose result changes from call to call in {place}: compute the value in the application or use a default"),
        ));
    }
    Ok(())
}

fn write_call(out: &mut String, function: &str, args: &[Expr], scope: &Scope) -> Printed {
    match (function, args) {
        ("now" | "current_timestamp", []) => {
            deterministic_only(function, scope, false)?;
            out.push_str(NOW);
        }
        ("localtimestamp", []) => {
            deterministic_only(function, scope, false)?;
            out.push_str("strftime('%Y-%m-%d %H:%M:%f', 'now', 'localtime')");
        }
        ("current_date", []) => {
            deterministic_only(function, scope, true)?;
            out.push_str("CURRENT_DATE");
        }
        ("uuid_v4", []) => {
            deterministic_only(function, scope, true)?;
            out.push_str(UUID_V4);
        }
        ("uuid_v7", []) => {
            deterministic_only(function, scope, false)?;
            out.push_str(UUID_V7);
        }
        ("sql", [Expr::String { value }]) => {
            out.push('(');
            out.push_str(value);
            out.push(')');
        }
        ("length" | "lower" | "upper" | "trim" | "abs" | "round" | "date" | "coalesce", _) => {
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
    fn like_patterns_become_case_sensitive_globs() {
        assert_eq!(like_to_glob("a%b_c"), "a*b?c");
        assert_eq!(like_to_glob("100\\%*[x]?"), "100%[*][[]x][?]");
    }

    #[test]
    fn regular_expressions_and_volatile_indexes_are_unsupported() {
        let regex =
            Expr::Binary { op: BinaryOp::Match, left: col("a"), right: Box::new(Expr::String { value: "x".into() }) };
        assert!(print(&regex, &scope(Place::Check)).unwrap_err().construct.contains('~'));
        let now = Expr::Call { function: "now".into(), args: vec![] };
        assert_eq!(print(&now, &scope(Place::Default)).unwrap(), NOW);
        assert!(print(&now, &scope(Place::Index)).is_err());
    }

    #[test]
    fn intervals_become_date_modifiers() {
        let now = Box::new(Expr::Call { function: "now".into(), args: vec![] });
        let e =
            Expr::Binary { op: BinaryOp::Sub, left: now, right: Box::new(Expr::String { value: "2 weeks".into() }) };
        assert_eq!(print(&e, &scope(Place::Query)).unwrap(), "strftime('%Y-%m-%d %H:%M:%f', 'now', '-14 days')");
    }

    #[test]
    fn constant_json_defaults_are_text() {
        let object =
            Expr::Object { members: vec![("a".into(), Expr::Array { items: vec![Expr::Bool { value: true }] })] };
        assert_eq!(default_value(&object, &scope(Place::Default)).unwrap(), "'{\"a\":[true]}'");
        assert_eq!(default_value(&Expr::Array { items: vec![] }, &scope(Place::Default)).unwrap(), "'[]'");
    }
}
