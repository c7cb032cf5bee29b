//! The language's types: built-in scalar names, type arguments, and the value
//! types expressions are checked with (compatibility, functions).
//! Knows no backend: how a type is stored on PostgreSQL is the backend's call.

use super::ir::Type;

/// Built-in type names, for lookups and "did you mean".
pub const BUILTIN_TYPES: &[&str] = &[
    "uuid",
    "text",
    "varchar",
    "char",
    "smallint",
    "int",
    "bigint",
    "numeric",
    "decimal",
    "real",
    "float",
    "double",
    "bool",
    "boolean",
    "date",
    "time",
    "timestamp",
    "timestamptz",
    "interval",
    "bytes",
    "bytea",
    "json",
    "jsonb",
];

/// Type names from other databases and ORMs, with what schemac calls them.
const FOREIGN_NAMES: &[(&str, &str)] = &[
    ("string", "text"),
    ("str", "text"),
    ("integer", "int"),
    ("int4", "int"),
    ("int8", "bigint"),
    ("int2", "smallint"),
    ("long", "bigint"),
    ("serial", "int = identity"),
    ("bigserial", "bigint = identity"),
    ("datetime", "timestamptz"),
    ("timestamptz", "timestamptz"),
    ("float8", "double"),
    ("float4", "real"),
    ("blob", "bytes"),
    ("binary", "bytes"),
    ("money", "money (use std::types::money)"),
];

/// What schemac calls a type another tool names `name` (or a near miss of it).
pub fn foreign_name(name: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    FOREIGN_NAMES.iter().find(|(k, _)| *k == lower).map(|(_, v)| *v).or_else(|| {
        let key = crate::diagnostics::did_you_mean(&lower, FOREIGN_NAMES.iter().map(|(k, _)| *k))?;
        FOREIGN_NAMES.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    })
}

/// A built-in type from its name and arguments, or why the arguments are wrong.
/// `Ok(None)` means the name is not built in.
pub fn builtin(name: &str, args: &[u64]) -> Result<Option<Type>, String> {
    let no_args = |t: Type| if args.is_empty() { Ok(Some(t)) } else { Err(format!("`{name}` takes no arguments")) };
    match name {
        "uuid" => no_args(Type::Uuid),
        "text" => no_args(Type::Text),
        "smallint" => no_args(Type::SmallInt),
        "int" => no_args(Type::Int),
        "bigint" => no_args(Type::BigInt),
        "real" | "float" => no_args(Type::Real),
        "double" => no_args(Type::Double),
        "bool" | "boolean" => no_args(Type::Bool),
        "date" => no_args(Type::Date),
        "time" | "timestamp" | "timestamptz" => {
            let precision = match args {
                [] => None,
                [p] if *p <= 6 => Some(*p as u32),
                [_] => return Err(format!("`{name}` keeps 0 to 6 fractional digits: `{name}(3)`")),
                _ => return Err(format!("`{name}` takes at most one argument, its fractional digits: `{name}(3)`")),
            };
            Ok(Some(match name {
                "time" => Type::Time { precision },
                "timestamp" => Type::Timestamp { precision },
                _ => Type::Timestamptz { precision },
            }))
        }
        "interval" => no_args(Type::Interval),
        "bytes" | "bytea" => no_args(Type::Bytes),
        "json" | "jsonb" => no_args(Type::Json),
        "varchar" => match args {
            [n] if (1..=10_485_760).contains(n) => Ok(Some(Type::Varchar { length: *n as u32 })),
            [_] => Err("`varchar` length must be between 1 and 10485760".into()),
            _ => Err("`varchar` takes one argument, its length: `varchar(200)`".into()),
        },
        "char" => match args {
            [n] if (1..=10_485_760).contains(n) => Ok(Some(Type::Char { length: *n as u32 })),
            [_] => Err("`char` length must be between 1 and 10485760".into()),
            _ => Err("`char` takes one argument, its length: `char(2)`".into()),
        },
        "numeric" | "decimal" => match args {
            [] => Ok(Some(Type::Numeric { precision: None, scale: None })),
            [p] if (1..=1000).contains(p) => Ok(Some(Type::Numeric { precision: Some(*p as u32), scale: Some(0) })),
            [p, s] if (1..=1000).contains(p) && s <= p => {
                Ok(Some(Type::Numeric { precision: Some(*p as u32), scale: Some(*s as u32) }))
            }
            [_] | [_, _] => Err("`numeric(p, s)` needs 1 ≤ p ≤ 1000 and 0 ≤ s ≤ p".into()),
            _ => Err("`numeric` takes at most two arguments: precision and scale".into()),
        },
        _ => Ok(None),
    }
}

/// The type an expression has, for checking. Coarser than [`Type`]: lengths,
/// precisions and domains do not matter to whether `a == b` makes sense.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueType {
    Int,
    Numeric,
    Float,
    Text,
    Bool,
    Uuid,
    Date,
    Time,
    Timestamp,
    Interval,
    Bytes,
    Json,
    Enum(String),
    Array(Box<ValueType>),
    Null,
    /// A string literal: fits any type a quoted literal can stand for.
    StringLiteral,
    /// Not known here (a parameter, raw SQL): accepted anywhere.
    Unknown,
}

impl ValueType {
    /// The value type of a stored type; `domain_base` resolves aliases.
    pub fn of(ty: &Type, domain_base: &dyn Fn(&str) -> Option<Type>) -> ValueType {
        match ty {
            Type::SmallInt | Type::Int | Type::BigInt => ValueType::Int,
            Type::Numeric { .. } => ValueType::Numeric,
            Type::Real | Type::Double => ValueType::Float,
            Type::Text | Type::Varchar { .. } | Type::Char { .. } => ValueType::Text,
            Type::Bool => ValueType::Bool,
            Type::Uuid => ValueType::Uuid,
            Type::Date => ValueType::Date,
            Type::Time { .. } => ValueType::Time,
            Type::Timestamp { .. } | Type::Timestamptz { .. } => ValueType::Timestamp,
            Type::Interval => ValueType::Interval,
            Type::Bytes => ValueType::Bytes,
            Type::Json => ValueType::Json,
            Type::Enum { name } => ValueType::Enum(name.clone()),
            Type::Domain { name } => domain_base(name).map_or(ValueType::Unknown, |t| ValueType::of(&t, domain_base)),
            Type::Array { element } => ValueType::Array(Box::new(ValueType::of(element, domain_base))),
            Type::Sql { .. } => ValueType::Unknown,
        }
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self, ValueType::Int | ValueType::Numeric | ValueType::Float | ValueType::Unknown)
    }

    pub fn is_textual(&self) -> bool {
        matches!(self, ValueType::Text | ValueType::StringLiteral | ValueType::Unknown)
    }

    /// Whether a value of type `self` may be stored in / compared with `target`.
    pub fn fits(&self, target: &ValueType) -> bool {
        use ValueType::*;
        match (self, target) {
            (Unknown, _) | (_, Unknown) | (Null, _) | (_, Null) => true,
            (StringLiteral, Array(_)) => false,
            (StringLiteral, Bool) => false,
            (StringLiteral, t) if t.is_numeric() => false,
            (StringLiteral, _) | (_, StringLiteral) => true,
            (Int, Numeric | Float) | (Numeric | Float, Int) | (Numeric, Float) | (Float, Numeric) => true,
            (Array(a), Array(b)) => a.fits(b),
            (a, b) => a == b,
        }
    }

    /// Whether a value of this type may be stored in a field of `target`
    /// without losing anything: like [`ValueType::fits`], but a decimal does
    /// not go into an integer.
    pub fn assignable_to(&self, target: &ValueType) -> bool {
        match (self, target) {
            (ValueType::Numeric | ValueType::Float, ValueType::Int) => false,
            (ValueType::Array(a), ValueType::Array(b)) => a.assignable_to(b),
            _ => self.fits(target),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            ValueType::Int => "an integer".into(),
            ValueType::Numeric => "a decimal number".into(),
            ValueType::Float => "a floating-point number".into(),
            ValueType::Text => "text".into(),
            ValueType::Bool => "a boolean".into(),
            ValueType::Uuid => "a uuid".into(),
            ValueType::Date => "a date".into(),
            ValueType::Time => "a time".into(),
            ValueType::Timestamp => "a timestamp".into(),
            ValueType::Interval => "an interval".into(),
            ValueType::Bytes => "bytes".into(),
            ValueType::Json => "json".into(),
            ValueType::Enum(name) => format!("a `{name}` value"),
            ValueType::Array(e) => format!("an array of {}", e.describe()),
            ValueType::Null => "null".into(),
            ValueType::StringLiteral => "a string".into(),
            ValueType::Unknown => "a value".into(),
        }
    }
}

/// What a whitelisted function accepts and returns.
pub struct Signature {
    pub name: &'static str,
    pub params: &'static [Param],
    pub returns: Returns,
    /// Volatile functions (now(), random ids) are fine in defaults but not in
    /// generated columns or checks.
    pub volatile: bool,
}

#[derive(Clone, Copy)]
pub enum Param {
    Text,
    Numeric,
    Timestamp,
    /// Any type; every `Same` argument must agree.
    Same,
    /// Zero or more further arguments like the previous one.
    Repeat,
}

#[derive(Clone, Copy)]
pub enum Returns {
    Fixed(fn() -> ValueType),
    /// The type of the first `Same` argument.
    Same,
}

macro_rules! sig {
    ($name:literal, [$($p:ident),*], $ret:expr, $volatile:expr) => {
        Signature { name: $name, params: &[$(Param::$p),*], returns: $ret, volatile: $volatile }
    };
}

pub const FUNCTIONS: &[Signature] = &[
    sig!("now", [], Returns::Fixed(|| ValueType::Timestamp), true),
    sig!("current_timestamp", [], Returns::Fixed(|| ValueType::Timestamp), true),
    sig!("localtimestamp", [], Returns::Fixed(|| ValueType::Timestamp), true),
    sig!("current_date", [], Returns::Fixed(|| ValueType::Date), true),
    sig!("uuid_v4", [], Returns::Fixed(|| ValueType::Uuid), true),
    sig!("uuid_v7", [], Returns::Fixed(|| ValueType::Uuid), true),
    sig!("length", [Text], Returns::Fixed(|| ValueType::Int), false),
    sig!("lower", [Text], Returns::Fixed(|| ValueType::Text), false),
    sig!("upper", [Text], Returns::Fixed(|| ValueType::Text), false),
    sig!("trim", [Text], Returns::Fixed(|| ValueType::Text), false),
    sig!("abs", [Numeric], Returns::Same, false),
    sig!("round", [Numeric], Returns::Fixed(|| ValueType::Numeric), false),
    sig!("coalesce", [Same, Same, Repeat], Returns::Same, false),
    sig!("date", [Timestamp], Returns::Fixed(|| ValueType::Date), false),
    sig!("sql", [Text], Returns::Fixed(|| ValueType::Unknown), false),
];

pub fn function(name: &str) -> Option<&'static Signature> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// A type as the language spells it: `uuid`, `varchar(32)`, `numeric(12, 2)`, `Plan[]`.
pub fn type_text(ty: &Type) -> String {
    match ty {
        Type::Uuid => "uuid".into(),
        Type::Text => "text".into(),
        Type::Varchar { length } => format!("varchar({length})"),
        Type::SmallInt => "smallint".into(),
        Type::Int => "int".into(),
        Type::BigInt => "bigint".into(),
        Type::Numeric { precision: Some(p), scale: Some(s) } => format!("numeric({p}, {s})"),
        Type::Numeric { precision: Some(p), scale: None } => format!("numeric({p})"),
        Type::Numeric { .. } => "numeric".into(),
        Type::Real => "real".into(),
        Type::Double => "double".into(),
        Type::Bool => "bool".into(),
        Type::Date => "date".into(),
        Type::Char { length } => format!("char({length})"),
        Type::Time { precision } => with_precision("time", *precision),
        Type::Timestamp { precision } => with_precision("timestamp", *precision),
        Type::Timestamptz { precision } => with_precision("timestamptz", *precision),
        Type::Interval => "interval".into(),
        Type::Bytes => "bytes".into(),
        Type::Json => "json".into(),
        Type::Enum { name } | Type::Domain { name } => name.clone(),
        Type::Array { element } => format!("{}[]", type_text(element)),
        Type::Sql { sql } => format!("sql({sql:?})"),
    }
}

/// `timestamptz` or `timestamptz(3)`.
fn with_precision(name: &str, precision: Option<u32>) -> String {
    precision.map_or_else(|| name.to_string(), |p| format!("{name}({p})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varchar_needs_a_length_and_numeric_a_sane_scale() {
        assert!(builtin("varchar", &[]).is_err());
        assert_eq!(builtin("varchar", &[20]), Ok(Some(Type::Varchar { length: 20 })));
        assert!(builtin("numeric", &[4, 6]).is_err());
        assert_eq!(builtin("Plan", &[]), Ok(None));
    }

    #[test]
    fn string_literals_fit_textual_and_temporal_types_but_not_numbers() {
        assert!(ValueType::StringLiteral.fits(&ValueType::Date));
        assert!(ValueType::StringLiteral.fits(&ValueType::Enum("Plan".into())));
        assert!(!ValueType::StringLiteral.fits(&ValueType::Int));
        assert!(ValueType::Int.fits(&ValueType::Numeric));
        assert!(!ValueType::Text.fits(&ValueType::Int));
    }
}
