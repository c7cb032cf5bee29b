//! Column ordering for alignment: PostgreSQL pads each column to its type's
//! alignment, so `bool, bigint, bool, bigint` wastes 14 bytes a row that
//! `bigint, bigint, bool, bool` does not. The primary key stays first (people
//! read tables that way); the other fixed-width columns follow by alignment,
//! widest first, then the variable-width ones, each group in declared order.
//!
//! Only new tables are ordered: a table the compiled state has already
//! (`Options::existing_fields`) keeps its columns' order, and new columns go
//! after them — exactly where a migration's ADD COLUMN puts them, so the
//! migrated database and a fresh one agree. `--no-reorder` keeps declared order.

use super::Context;
use crate::diagnostics::Diagnostic;
use crate::semantic::ir::{Field, Ir, Type};

pub fn run(ir: &mut Ir, cx: &Context) -> Vec<Diagnostic> {
    let domains: Vec<(String, Type)> = ir.domains.iter().map(|d| (d.name.clone(), d.base.clone())).collect();
    let base = |name: &str| domains.iter().find(|(n, _)| n == name).map(|(_, t)| t.clone());
    for entity in &mut ir.entities {
        let existing = cx.options.existing_fields.get(&entity.name);
        if existing.is_none() && !cx.options.reorder_columns {
            continue;
        }
        let key = |position: usize, f: &Field| -> (u32, u32, u32) {
            if let Some(at) = existing.and_then(|e| e.iter().position(|n| n == &f.name)) {
                return (0, 0, at as u32);
            }
            // New columns of an existing table go last, in declared order
            // unless reordering is on.
            let group = if existing.is_some() { 10 } else { 0 };
            if !cx.options.reorder_columns {
                return (group + 1, 0, position as u32);
            }
            if let Some(at) = entity.primary_key.iter().position(|k| k == &f.name).filter(|_| existing.is_none()) {
                return (group + 1, 0, at as u32);
            }
            match storage(&f.ty, &base) {
                Some((align, length)) => (group + 2, 255 - u32::from(align), 255 - u32::from(length)),
                None => (group + 3, 0, 0),
            }
        };
        let mut keyed: Vec<((u32, u32, u32), usize)> =
            entity.fields.iter().enumerate().map(|(i, f)| (key(i, f), i)).collect();
        keyed.sort();
        if keyed.iter().enumerate().all(|(position, (_, i))| position == *i) {
            continue;
        }
        let mut old: Vec<Option<Field>> = std::mem::take(&mut entity.fields).into_iter().map(Some).collect();
        entity.fields = keyed.into_iter().filter_map(|(_, i)| old[i].take()).collect();
    }
    Vec::new()
}

/// How a type is stored in a row (PostgreSQL's typalign and typlen, which
/// the storage estimate will use too): (alignment in bytes, fixed length in
/// bytes), or `None` for variable width.
pub fn storage(ty: &Type, domain_base: &dyn Fn(&str) -> Option<Type>) -> Option<(u8, u8)> {
    Some(match ty {
        Type::BigInt | Type::Double | Type::Timestamp { .. } | Type::Timestamptz { .. } | Type::Time { .. } => (8, 8),
        Type::Interval => (8, 16),
        Type::Int | Type::Real | Type::Date | Type::Enum { .. } => (4, 4),
        Type::SmallInt => (2, 2),
        Type::Uuid => (1, 16),
        Type::Bool => (1, 1),
        Type::Domain { name } => return storage(&domain_base(name)?, domain_base),
        Type::Text
        | Type::Sql { .. }
        | Type::Varchar { .. }
        | Type::Char { .. }
        | Type::Numeric { .. }
        | Type::Bytes
        | Type::Json
        | Type::Array { .. } => return None,
    })
}

#[cfg(test)]
mod tests {
    use crate::passes::{Context, Options};

    #[test]
    fn fixed_width_by_alignment_then_variable_width_with_the_key_first() {
        let mut c = crate::driver::compile_str(
            "test.schema",
            "entity A { name text\n flag bool\n id uuid primary\n n int\n at timestamptz\n small smallint\n big bigint }\n",
        );
        assert!(!c.has_errors(), "{:?}", c.diagnostics);
        let options = Options::default();
        super::run(&mut c.ir, &Context { options: &options, source_map: &c.source_map });
        let names: Vec<&str> = c.ir.entity("A").unwrap().fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["id", "at", "big", "n", "small", "flag", "name"]);
    }
}
