//! Prisma's scalar types and `@db.*` native types, as the IR's types.
//!
//! Without `@db`, a scalar gets the column type Prisma Migrate creates on
//! PostgreSQL (`String` → `text`, `DateTime` → `timestamp(3)`, `Decimal` →
//! `decimal(65,30)`, `Json` → `jsonb`). A native type the language has is
//! mapped exactly; one it lacks becomes the closest type with a reason the
//! caller turns into a warning. This module only maps; it reports nothing.

use crate::semantic::ir::Type;

/// Prisma's built-in field types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    String,
    Int,
    BigInt,
    Float,
    Decimal,
    Boolean,
    DateTime,
    Json,
    Bytes,
}

impl Scalar {
    pub fn parse(name: &str) -> Option<Scalar> {
        Some(match name {
            "String" => Scalar::String,
            "Int" => Scalar::Int,
            "BigInt" => Scalar::BigInt,
            "Float" => Scalar::Float,
            "Decimal" => Scalar::Decimal,
            "Boolean" => Scalar::Boolean,
            "DateTime" => Scalar::DateTime,
            "Json" => Scalar::Json,
            "Bytes" => Scalar::Bytes,
            _ => return None,
        })
    }

    /// The column type Prisma Migrate gives the scalar on PostgreSQL.
    pub fn default_type(self) -> Type {
        match self {
            Scalar::String => Type::Text,
            Scalar::Int => Type::Int,
            Scalar::BigInt => Type::BigInt,
            Scalar::Float => Type::Double,
            Scalar::Decimal => Type::Numeric { precision: Some(65), scale: Some(30) },
            Scalar::Boolean => Type::Bool,
            Scalar::DateTime => Type::Timestamp { precision: Some(3) },
            Scalar::Json => Type::Json,
            Scalar::Bytes => Type::Bytes,
        }
    }

    pub fn is_integer(self) -> bool {
        matches!(self, Scalar::Int | Scalar::BigInt)
    }
}

/// A native type as the IR has it.
#[derive(Debug, Clone, PartialEq)]
pub enum Native {
    /// The language has this very type.
    Exact(Type),
    /// The language lacks it; this type is the nearest, for this reason.
    Closest { ty: Type, why: String },
    /// Not a native type Prisma has for this scalar (an error in Prisma).
    Mismatch,
    /// A native type this importer does not know.
    Unknown,
}

/// `@db.<name>(<args>)` on a field of type `scalar`. `postgres` is whether
/// the datasource is PostgreSQL (`Json` means plain `json` there).
pub fn native(scalar: Scalar, name: &str, args: &[u32], postgres: bool) -> Native {
    use Native::{Closest, Exact, Mismatch};
    let first = args.first().copied();
    let closest = |ty: Type, why: &str| Closest { ty, why: why.to_string() };
    match (scalar, name) {
        (Scalar::String, "Text") => Exact(Type::Text),
        (Scalar::String, "VarChar") => match first {
            Some(length) => Exact(Type::Varchar { length }),
            None => closest(Type::Text, "`varchar` without a length is `text` in the language"),
        },
        (Scalar::String, "Char") => Exact(Type::Char { length: first.unwrap_or(1) }),
        (Scalar::String, "Uuid") => Exact(Type::Uuid),
        (Scalar::String, "TinyText" | "MediumText" | "LongText") => {
            closest(Type::Text, "the language has one unbounded text type")
        }
        (Scalar::String, "Xml" | "Inet" | "Citext" | "Bit" | "VarBit" | "NVarChar" | "NChar" | "NText") => {
            closest(Type::Text, "the language has no such text type")
        }
        (Scalar::Boolean, "Boolean") => Exact(Type::Bool),
        (Scalar::Boolean, "TinyInt" | "Bit") => closest(Type::Bool, "stored as an integer there"),
        (Scalar::Int, "Integer" | "Int") => Exact(Type::Int),
        (Scalar::Int, "SmallInt") => Exact(Type::SmallInt),
        (Scalar::Int, "TinyInt" | "UnsignedTinyInt" | "Year") => {
            closest(Type::SmallInt, "the smallest integer the language has")
        }
        (Scalar::Int, "UnsignedSmallInt" | "MediumInt" | "UnsignedMediumInt") => {
            closest(Type::Int, "the language has no such integer type")
        }
        (Scalar::Int, "UnsignedInt" | "Oid") => closest(Type::BigInt, "the language has no unsigned integers"),
        (Scalar::BigInt, "BigInt") => Exact(Type::BigInt),
        (Scalar::BigInt, "UnsignedBigInt") => {
            closest(Type::Numeric { precision: Some(20), scale: Some(0) }, "the language has no unsigned integers")
        }
        (Scalar::Float, "DoublePrecision" | "Double") => Exact(Type::Double),
        (Scalar::Float, "Real" | "Float") => Exact(Type::Real),
        (Scalar::Decimal, "Decimal") => {
            Exact(Type::Numeric { precision: first, scale: first.map(|_| args.get(1).copied().unwrap_or(0)) })
        }
        (Scalar::Decimal, "Money") => {
            closest(Type::Numeric { precision: Some(19), scale: Some(2) }, "the language has no money type")
        }
        (Scalar::DateTime, "Timestamp") => Exact(Type::Timestamp { precision: first }),
        (Scalar::DateTime, "Timestamptz") => Exact(Type::Timestamptz { precision: first }),
        (Scalar::DateTime, "DateTime" | "DateTime2") => Exact(Type::Timestamp { precision: first }),
        (Scalar::DateTime, "Date") => Exact(Type::Date),
        (Scalar::DateTime, "Time") => Exact(Type::Time { precision: first }),
        (Scalar::DateTime, "Timetz") => {
            closest(Type::Time { precision: first }, "the language has no time with time zone")
        }
        (Scalar::Json, "JsonB") => Exact(Type::Json),
        (Scalar::Json, "Json") if postgres => closest(Type::Json, "the language stores json as `jsonb`"),
        (Scalar::Json, "Json") => Exact(Type::Json),
        (
            Scalar::Bytes,
            "ByteA" | "Binary" | "VarBinary" | "Blob" | "TinyBlob" | "MediumBlob" | "LongBlob" | "Image",
        ) => Exact(Type::Bytes),
        (_, name) if KNOWN.contains(&name) => Mismatch,
        _ => Native::Unknown,
    }
}

/// Every native type name [`native`] knows, for telling a misplaced one
/// (`@db.Uuid` on an `Int`) from an unknown one.
const KNOWN: &[&str] = &[
    "Text",
    "VarChar",
    "Char",
    "Uuid",
    "TinyText",
    "MediumText",
    "LongText",
    "Xml",
    "Inet",
    "Citext",
    "Bit",
    "VarBit",
    "NVarChar",
    "NChar",
    "NText",
    "Boolean",
    "TinyInt",
    "Integer",
    "Int",
    "SmallInt",
    "UnsignedTinyInt",
    "Year",
    "UnsignedSmallInt",
    "MediumInt",
    "UnsignedMediumInt",
    "UnsignedInt",
    "Oid",
    "BigInt",
    "UnsignedBigInt",
    "DoublePrecision",
    "Double",
    "Real",
    "Float",
    "Decimal",
    "Money",
    "Timestamp",
    "Timestamptz",
    "DateTime",
    "DateTime2",
    "Date",
    "Time",
    "Timetz",
    "JsonB",
    "Json",
    "ByteA",
    "Binary",
    "VarBinary",
    "Blob",
    "TinyBlob",
    "MediumBlob",
    "LongBlob",
    "Image",
];

/// The type of an `Unsupported("…")` field when the language has it after
/// all (PostgreSQL's spelling, as `format_type` prints it), else `None`.
pub fn unsupported(database_type: &str) -> Option<Type> {
    let text = database_type.trim().to_ascii_lowercase();
    Some(match text.as_str() {
        "interval" => Type::Interval,
        "text" => Type::Text,
        "uuid" => Type::Uuid,
        "date" => Type::Date,
        "bytea" => Type::Bytes,
        "jsonb" => Type::Json,
        "boolean" | "bool" => Type::Bool,
        "smallint" | "int2" => Type::SmallInt,
        "integer" | "int" | "int4" => Type::Int,
        "bigint" | "int8" => Type::BigInt,
        "real" | "float4" => Type::Real,
        "double precision" | "float8" => Type::Double,
        "timestamptz" | "timestamp with time zone" => Type::Timestamptz { precision: None },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_types_map_exactly_or_to_the_closest_with_a_reason() {
        assert_eq!(native(Scalar::String, "VarChar", &[255], true), Native::Exact(Type::Varchar { length: 255 }));
        assert_eq!(
            native(Scalar::DateTime, "Timestamptz", &[6], true),
            Native::Exact(Type::Timestamptz { precision: Some(6) })
        );
        assert_eq!(
            native(Scalar::Decimal, "Decimal", &[10, 1], true),
            Native::Exact(Type::Numeric { precision: Some(10), scale: Some(1) })
        );
        assert!(matches!(native(Scalar::Json, "Json", &[], true), Native::Closest { ty: Type::Json, .. }));
        assert_eq!(native(Scalar::Json, "Json", &[], false), Native::Exact(Type::Json));
        assert_eq!(native(Scalar::Int, "Uuid", &[], true), Native::Mismatch);
        assert_eq!(native(Scalar::Int, "Geography", &[], true), Native::Unknown);
    }

    #[test]
    fn unsupported_types_the_language_has_are_recognised() {
        assert_eq!(unsupported("interval"), Some(Type::Interval));
        assert_eq!(unsupported("tsvector"), None);
    }
}
