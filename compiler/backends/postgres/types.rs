//! How the language's types are stored on PostgreSQL, spelled the way
//! `format_type()` prints them so the lowered model and an introspected
//! catalog compare as text. User types (enums, domains) are always
//! schema-qualified: a domain called `money` must never resolve to
//! `pg_catalog.money`.

use super::quote;
use crate::semantic::ir::Type;
use crate::semantic::snake_case;

/// The SQL name of a language-level enum or domain (`OrderStatus` → `order_status`).
pub fn type_name(name: &str) -> String {
    snake_case(name)
}

pub fn sql(ty: &Type, schema: &str) -> String {
    match ty {
        Type::Uuid => "uuid".into(),
        Type::Text => "text".into(),
        Type::Varchar { length } => format!("character varying({length})"),
        Type::SmallInt => "smallint".into(),
        Type::Int => "integer".into(),
        Type::BigInt => "bigint".into(),
        Type::Numeric { precision: Some(p), scale: Some(s) } => format!("numeric({p},{s})"),
        Type::Numeric { precision: Some(p), scale: None } => format!("numeric({p},0)"),
        Type::Numeric { .. } => "numeric".into(),
        Type::Real => "real".into(),
        Type::Double => "double precision".into(),
        Type::Bool => "boolean".into(),
        Type::Date => "date".into(),
        Type::Char { length } => format!("character({length})"),
        Type::Time { precision } => timed("time", *precision, "without"),
        Type::Timestamp { precision } => timed("timestamp", *precision, "without"),
        Type::Timestamptz { precision } => timed("timestamp", *precision, "with"),
        Type::Interval => "interval".into(),
        Type::Bytes => "bytea".into(),
        Type::Json => "jsonb".into(),
        Type::Enum { name } | Type::Domain { name } => quote::qualified(schema, &type_name(name)),
        Type::Array { element } => format!("{}[]", sql(element, schema)),
        Type::Sql { sql } => sql.clone(),
    }
}

/// `timestamp(3) with time zone`, as `format_type` places the precision.
fn timed(name: &str, precision: Option<u32>, zone: &str) -> String {
    match precision {
        Some(p) => format!("{name}({p}) {zone} time zone"),
        None => format!("{name} {zone} time zone"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_types_are_qualified_and_builtins_match_format_type() {
        assert_eq!(sql(&Type::Enum { name: "OrderStatus".into() }, "public"), "public.order_status");
        assert_eq!(sql(&Type::Domain { name: "money".into() }, "app"), "app.money");
        assert_eq!(sql(&Type::Varchar { length: 3 }, "public"), "character varying(3)");
        assert_eq!(
            sql(&Type::Array { element: Box::new(Type::Timestamptz { precision: None }) }, "public"),
            "timestamp with time zone[]"
        );
    }
}
