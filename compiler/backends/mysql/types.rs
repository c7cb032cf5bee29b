//! How the language's types are stored on MySQL 8.0 / MariaDB 10.11.
//!
//! Columns get the closest native type, spelled as MySQL 8's `COLUMN_TYPE`
//! reports it (lowercase, no integer display widths). What the type cannot
//! say is kept by a CHECK the lowering adds ([`Implied`]): an array is a
//! JSON array. `text` and `bytes` that take part in a key or an index are
//! `varchar(255)` / `varbinary(255)`: InnoDB cannot index a whole TEXT or
//! BLOB, and a prefix index would make a unique key compare prefixes only.
//! Each choice is documented in spec/backends/mysql.md.

use super::quote::literal;
use crate::semantic::ir::{Ir, Type};

/// The length a `text` column gets when it is part of a key or an index.
pub const KEY_TEXT_LENGTH: u32 = 255;

/// A language type as a MySQL column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    pub declared: String,
    /// What the type guarantees that the declared type does not.
    pub implied: Vec<Implied>,
}

/// A rule of the language type kept by a CHECK constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Implied {
    /// `T[]`: a JSON array (MySQL has no array type).
    JsonArray,
}

impl Implied {
    /// The condition on `column` (SQL), true or NULL for a NULL value.
    pub fn condition(&self, column: &str) -> String {
        match self {
            Implied::JsonArray => format!("json_type({column}) = 'ARRAY'"),
        }
    }

    pub fn suffix(&self) -> &'static str {
        match self {
            Implied::JsonArray => "array",
        }
    }
}

/// The MySQL column for `ty`; `keyed` when the column is part of a key or an
/// index. An error says why there is none. A domain is its base type (its
/// check is the lowering's business).
pub fn map(ty: &Type, ir: &Ir, keyed: bool) -> Result<Mapped, String> {
    let plain = |declared: &str| Ok(Mapped { declared: declared.to_string(), implied: Vec::new() });
    match ty {
        // Canonical lowercase text (36 characters), as uuid_v4()/uuid_v7() make it.
        Type::Uuid => plain("char(36)"),
        Type::Text if keyed => plain(&format!("varchar({KEY_TEXT_LENGTH})")),
        Type::Text => plain("text"),
        Type::Varchar { length } => plain(&format!("varchar({length})")),
        Type::Char { length } => plain(&format!("char({length})")),
        Type::SmallInt => plain("smallint"),
        Type::Int => plain("int"),
        Type::BigInt => plain("bigint"),
        Type::Numeric { precision: Some(p), scale } => plain(&format!("decimal({p},{})", scale.unwrap_or(0))),
        // PostgreSQL's unconstrained numeric: MySQL's widest decimal.
        Type::Numeric { precision: None, .. } => plain("decimal(65,30)"),
        Type::Real => plain("float"),
        Type::Double => plain("double"),
        Type::Bool => plain("tinyint(1)"),
        Type::Date => plain("date"),
        Type::Time { precision } => plain(&format!("time({})", precision.unwrap_or(6).min(6))),
        Type::Timestamp { precision } | Type::Timestamptz { precision } => {
            plain(&format!("datetime({})", precision.unwrap_or(6).min(6)))
        }
        Type::Interval => Err("MySQL has no interval type".into()),
        Type::Bytes if keyed => plain(&format!("varbinary({KEY_TEXT_LENGTH})")),
        Type::Bytes => plain("longblob"),
        Type::Json => plain("json"),
        Type::Array { .. } => Ok(Mapped { declared: "json".into(), implied: vec![Implied::JsonArray] }),
        Type::Enum { name } => {
            let values = ir.enums.iter().find(|e| &e.name == name).map(|e| e.values.clone()).unwrap_or_default();
            if values.is_empty() {
                return Err(format!("enum `{name}` has no values"));
            }
            let list: Vec<String> = values.iter().map(|v| literal(v)).collect();
            plain(&format!("enum({})", list.join(",")))
        }
        Type::Domain { name } => match ir.domains.iter().find(|d| &d.name == name) {
            Some(domain) if !matches!(domain.base, Type::Domain { .. }) => map(&domain.base, ir, keyed),
            _ => Err(format!("type `{name}` is not a type MySQL can store")),
        },
        Type::Sql { sql } => {
            let declared = sql.trim().to_ascii_lowercase();
            let name = declared.split(|c: char| c == '(' || c.is_whitespace()).next().unwrap_or_default();
            if POSTGRES_ONLY.contains(&name) || declared.ends_with("[]") {
                return Err(format!("`{declared}` is a PostgreSQL type MySQL/MariaDB do not have"));
            }
            plain(&declared)
        }
    }
}

/// Types an import from PostgreSQL may keep as `sql("…")` that MySQL and
/// MariaDB do not have (the server would refuse the table).
const POSTGRES_ONLY: &[&str] = &[
    "tsvector",
    "tsquery",
    "inet",
    "cidr",
    "macaddr",
    "macaddr8",
    "int4range",
    "int8range",
    "numrange",
    "tsrange",
    "tstzrange",
    "daterange",
    "hstore",
    "citext",
    "ltree",
    "xml",
    "oid",
    "regclass",
    "bytea",
    "jsonb",
    "box",
    "circle",
    "lseg",
    "path",
    "polygon",
    "txid_snapshot",
    "pg_lsn",
];

/// The longest key InnoDB indexes (DYNAMIC rows, 16 KiB pages), in bytes.
pub const MAX_KEY_BYTES: usize = 3072;

/// The bytes a column of type `declared` takes in an index key at most
/// (utf8mb4 text at 4 bytes a character).
pub fn index_bytes(declared: &str) -> usize {
    let length = || -> usize {
        declared
            .split_once('(')
            .and_then(|(_, rest)| rest.split(')').next())
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    };
    let base = declared.split('(').next().unwrap_or(declared);
    match base {
        "varchar" | "char" => 4 * length(),
        "varbinary" | "binary" => length(),
        "tinyint" => 1,
        "smallint" | "enum" => 2,
        "date" | "mediumint" => 3,
        "int" | "float" => 4,
        "time" => 6,
        "bigint" | "double" | "datetime" => 8,
        "decimal" => {
            let precision: usize = declared
                .split_once('(')
                .and_then(|(_, rest)| rest.split([',', ')']).next())
                .and_then(|p| p.trim().parse().ok())
                .unwrap_or(65);
            precision / 2 + 1
        }
        _ => 0,
    }
}

/// Whether `declared` is a whole-number type.
pub fn is_integer(declared: &str) -> bool {
    matches!(declared, "tinyint" | "smallint" | "mediumint" | "int" | "bigint")
}

/// The fractional digits of a `decimal(p,s)` column.
pub fn decimal_scale(declared: &str) -> Option<usize> {
    let inner = declared.strip_prefix("decimal(")?.strip_suffix(')')?;
    inner.split(',').nth(1)?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(ty: Type, keyed: bool) -> String {
        map(&ty, &Ir::default(), keyed).expect("maps").declared
    }

    #[test]
    fn each_type_gets_its_closest_native_type() {
        assert_eq!(declared(Type::Uuid, false), "char(36)");
        assert_eq!(declared(Type::Text, false), "text");
        assert_eq!(declared(Type::Text, true), "varchar(255)");
        assert_eq!(declared(Type::Numeric { precision: Some(19), scale: Some(4) }, false), "decimal(19,4)");
        assert_eq!(declared(Type::Timestamptz { precision: None }, false), "datetime(6)");
        assert_eq!(declared(Type::Bool, false), "tinyint(1)");
        assert!(map(&Type::Interval, &Ir::default(), false).is_err());
        assert_eq!(decimal_scale("decimal(5,2)"), Some(2));
        assert_eq!(index_bytes("varchar(255)"), 1020);
        assert_eq!(index_bytes("char(36)"), 144);
        assert_eq!(index_bytes("tinyint(1)"), 1);
        assert_eq!(index_bytes("bigint"), 8);
    }

    #[test]
    fn enums_are_native_and_arrays_are_checked_json() {
        let mut ir = Ir::default();
        ir.enums.push(crate::semantic::ir::Enum {
            id: "enum:S".into(),
            name: "S".into(),
            values: vec!["a".into(), "it's".into()],
            doc: None,
        });
        assert_eq!(map(&Type::Enum { name: "S".into() }, &ir, false).unwrap().declared, "enum('a','it''s')");
        let array = map(&Type::Array { element: Box::new(Type::Text) }, &ir, false).unwrap();
        assert_eq!(array.declared, "json");
        assert_eq!(array.implied[0].condition("`t`"), "json_type(`t`) = 'ARRAY'");
    }
}
