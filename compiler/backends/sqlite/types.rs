//! How the language's types are stored on SQLite.
//!
//! Tables are STRICT (SQLite 3.37+), so a column holds values of its declared
//! type only — as on PostgreSQL, `'abc'` is refused by an integer column —
//! and the declared type is one of `INTEGER`/`INT`, `REAL`, `TEXT`, `BLOB`.
//! What the type name cannot say is kept by a CHECK the lowering adds
//! ([`Implied`]): booleans are 0 or 1, enums one of their values, json valid
//! JSON, `varchar(n)` at most n characters. Each choice is documented in
//! spec/backends/sqlite.md.

use super::quote::literal;
use crate::semantic::ir::{Ir, Type};

/// A language type as a SQLite column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    /// `INTEGER`, `REAL`, `TEXT` or `BLOB`.
    pub declared: &'static str,
    /// What the type guarantees that the declared type does not.
    pub implied: Vec<Implied>,
}

/// A rule of the language type kept by a CHECK constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Implied {
    /// `bool`: 0 or 1 (`true` and `false` are 1 and 0 in SQLite).
    Boolean,
    /// `json`: well-formed JSON text.
    Json,
    /// `T[]`: a JSON array (SQLite has no array type).
    JsonArray,
    /// `varchar(n)`, `char(n)`: at most n characters.
    MaxLength(u32),
    /// An enum: one of its values.
    OneOf(Vec<String>),
}

impl Implied {
    /// The condition on `column` (SQL), true or NULL for a NULL value.
    pub fn condition(&self, column: &str) -> String {
        match self {
            Implied::Boolean => format!("{column} IN (0, 1)"),
            Implied::Json => format!("json_valid({column})"),
            Implied::JsonArray => format!("json_valid({column}) AND json_type({column}) = 'array'"),
            Implied::MaxLength(n) => format!("length({column}) <= {n}"),
            Implied::OneOf(values) => {
                let list: Vec<String> = values.iter().map(|v| literal(v)).collect();
                format!("{column} IN ({})", list.join(", "))
            }
        }
    }
}

/// The declared types a STRICT table accepts.
pub const STRICT_TYPES: [&str; 6] = ["INT", "INTEGER", "REAL", "TEXT", "BLOB", "ANY"];

/// The SQLite column for `ty`; an error says why there is none. A domain is
/// its base type (its check is the lowering's business).
pub fn map(ty: &Type, ir: &Ir) -> Result<Mapped, String> {
    let plain = |declared| Ok(Mapped { declared, implied: Vec::new() });
    let implied = |declared, rule| Ok(Mapped { declared, implied: vec![rule] });
    match ty {
        // Canonical lowercase text, as uuid_v4()/uuid_v7() make it.
        Type::Uuid | Type::Text => plain("TEXT"),
        Type::Varchar { length } | Type::Char { length } => implied("TEXT", Implied::MaxLength(*length)),
        // SQLite integers are 64-bit; smallint and int ranges are not checked.
        Type::SmallInt | Type::Int | Type::BigInt => plain("INTEGER"),
        // Exact only without a fractional part: SQLite has no decimal type.
        Type::Numeric { scale: Some(0), .. } | Type::Numeric { precision: Some(_), scale: None } => plain("INTEGER"),
        Type::Numeric { .. } | Type::Real | Type::Double => plain("REAL"),
        Type::Bool => implied("INTEGER", Implied::Boolean),
        // ISO-8601 text, UTC, as CURRENT_TIMESTAMP and strftime() write it.
        Type::Date | Type::Time { .. } | Type::Timestamp { .. } | Type::Timestamptz { .. } | Type::Interval => {
            plain("TEXT")
        }
        Type::Bytes => plain("BLOB"),
        Type::Json => implied("TEXT", Implied::Json),
        Type::Array { .. } => implied("TEXT", Implied::JsonArray),
        Type::Enum { name } => {
            let values = ir.enums.iter().find(|e| &e.name == name).map(|e| e.values.clone()).unwrap_or_default();
            implied("TEXT", Implied::OneOf(values))
        }
        Type::Domain { name } => match ir.domains.iter().find(|d| &d.name == name) {
            Some(domain) if !matches!(domain.base, Type::Domain { .. }) => map(&domain.base, ir),
            _ => Err(format!("type `{name}` is not a type SQLite can store")),
        },
        Type::Sql { sql } => {
            let upper = sql.trim().to_ascii_uppercase();
            match STRICT_TYPES.iter().find(|t| **t == upper) {
                Some(t) => plain(t),
                None => Err(format!("`sql(\"{sql}\")` is not a type a STRICT SQLite table accepts")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(ty: Type) -> &'static str {
        map(&ty, &Ir::default()).expect("maps").declared
    }

    #[test]
    fn every_type_gets_a_strict_declared_type() {
        assert_eq!(declared(Type::Uuid), "TEXT");
        assert_eq!(declared(Type::BigInt), "INTEGER");
        assert_eq!(declared(Type::Numeric { precision: Some(19), scale: Some(4) }), "REAL");
        assert_eq!(declared(Type::Numeric { precision: Some(10), scale: Some(0) }), "INTEGER");
        assert_eq!(declared(Type::Timestamptz { precision: None }), "TEXT");
        assert_eq!(declared(Type::Bytes), "BLOB");
        assert_eq!(declared(Type::Sql { sql: "blob".into() }), "BLOB");
        assert!(map(&Type::Sql { sql: "tsvector".into() }, &Ir::default()).is_err());
    }

    #[test]
    fn what_the_declared_type_cannot_say_is_a_check() {
        let bool_ = map(&Type::Bool, &Ir::default()).unwrap();
        assert_eq!(bool_.implied[0].condition("\"on\""), "\"on\" IN (0, 1)");
        let varchar = map(&Type::Varchar { length: 3 }, &Ir::default()).unwrap();
        assert_eq!(varchar.implied[0].condition("\"c\""), "length(\"c\") <= 3");
        let json = map(&Type::Json, &Ir::default()).unwrap();
        assert_eq!(json.implied[0].condition("\"j\""), "json_valid(\"j\")");
        let array = map(&Type::Array { element: Box::new(Type::Text) }, &Ir::default()).unwrap();
        assert_eq!(array.implied[0].condition("\"t\""), "json_valid(\"t\") AND json_type(\"t\") = 'array'");
        let mut ir = Ir::default();
        ir.enums.push(crate::semantic::ir::Enum {
            id: "enum:S".into(),
            name: "S".into(),
            values: vec!["a".into(), "it's".into()],
            doc: None,
        });
        let e = map(&Type::Enum { name: "S".into() }, &ir).unwrap();
        assert_eq!(e.implied[0].condition("\"s\""), "\"s\" IN ('a', 'it''s')");
    }
}
