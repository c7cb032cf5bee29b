//! How much disk an entity takes on PostgreSQL: the width of a row from its
//! column types (alignment and padding included, in the column order the
//! backend writes), times the declared `volume`, plus its indexes, and the
//! growth per year.
//!
//! An estimate, with stated assumptions: variable-length values (text, json,
//! numeric, arrays) have a typical size, optional columns are counted as set,
//! pages are 90% full. Reads the IR only.

use crate::semantic::ir::{Entity, Ir, Type};

/// A typical text value (bytes), when nothing says otherwise.
pub const TEXT_BYTES: u64 = 24;
/// A typical json document (bytes).
pub const JSON_BYTES: u64 = 160;
/// A typical bytes value.
pub const BYTES_BYTES: u64 = 64;

#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub entity: String,
    /// Bytes of one row on a page: tuple header, columns with padding, line pointer.
    pub row_bytes: u64,
    pub rows: Option<u64>,
    pub table_bytes: Option<u64>,
    /// Every index, the primary key and unique keys included.
    pub index_bytes: Option<u64>,
    pub growth_bytes_per_year: Option<u64>,
}

pub fn estimate(ir: &Ir) -> Vec<Estimate> {
    ir.entities.iter().map(|e| entity(ir, e)).collect()
}

/// Bytes one row takes on a page: the heap tuple header (23 bytes,
/// MAXALIGNed), the columns with their alignment padding, MAXALIGNed, and
/// the 4-byte line pointer.
pub fn row_bytes(ir: &Ir, entity: &Entity) -> u64 {
    let mut offset = 24u64;
    for field in &entity.fields {
        let (width, align) = width(ir, &field.ty);
        offset = offset.div_ceil(align) * align + width;
    }
    offset.div_ceil(8) * 8 + 4
}

/// Bytes of one B-tree leaf entry over these columns: an 8-byte index tuple
/// header and the keys, MAXALIGNed, and a line pointer.
pub fn index_entry_bytes(ir: &Ir, entity: &Entity, columns: &[String]) -> u64 {
    let keys: u64 = columns.iter().map(|c| entity.field(c).map_or(8, |f| width(ir, &f.ty).0)).sum();
    (8 + keys).div_ceil(8) * 8 + 4
}

/// Bytes per row of a B-tree entry once PostgreSQL deduplicates it: rows
/// sharing a key value share one entry, and each adds a 6-byte row pointer.
/// Key values: a foreign key has its parent's rows, an enum its values, a
/// boolean two; other columns are distinct (no deduplication).
fn deduplicated(ir: &Ir, entity: &Entity, columns: &[String], entry: u64) -> u64 {
    let Some(rows) = entity.volume.as_ref().map(|v| v.rows).filter(|r| *r > 0) else { return entry };
    // Each partition has its own indexes: values repeat within one partition only.
    let share = super::estimate::partition_share(entity);
    let rows = ((rows as f64 * share) as u64).max(1);
    let mut values: u64 = 1;
    for column in columns {
        let distinct = if let Some(fk) = entity.foreign_keys.iter().find(|fk| fk.columns.first() == Some(column)) {
            ir.entity(&fk.references).and_then(|p| p.volume.as_ref()).map_or(rows, |v| v.rows.max(1)).min(rows)
        } else {
            match entity.field(column).map(|f| &f.ty) {
                Some(Type::Enum { name }) => {
                    ir.enums.iter().find(|e| &e.name == name).map_or(rows, |e| e.values.len() as u64)
                }
                Some(Type::Bool) => 2,
                _ => rows,
            }
        };
        values = values.saturating_mul(distinct.max(1));
    }
    let per_value = rows / values.min(rows).max(1);
    if per_value < 2 {
        return entry;
    }
    6 + entry / per_value
}

/// Usable bytes of an 8 KiB page at the assumed 90% fill.
pub const PAGE_BYTES: u64 = 8192 * 9 / 10;

/// Bytes on disk of `rows` rows of `entity`, its indexes included.
pub fn bytes_at(ir: &Ir, entity: &Entity, rows: u64) -> u64 {
    let (row, index) = per_row(ir, entity);
    (rows * (row + index)) * 10 / 9
}

fn entity(ir: &Ir, entity: &Entity) -> Estimate {
    let (row_bytes, per_row_index) = per_row(ir, entity);
    let rows = entity.volume.as_ref().map(|v| v.rows);
    let fill = |bytes: u64| bytes * 10 / 9;
    Estimate {
        entity: entity.name.clone(),
        row_bytes,
        rows,
        table_bytes: rows.map(|r| fill(r * row_bytes)),
        index_bytes: rows.map(|r| fill(r * per_row_index)),
        growth_bytes_per_year: entity
            .volume
            .as_ref()
            .and_then(|v| v.growth_per_day)
            .map(|g| fill(g * 365 * (row_bytes + per_row_index))),
    }
}

/// (bytes of a row, bytes of its entries in every index).
fn per_row(ir: &Ir, entity: &Entity) -> (u64, u64) {
    let row_bytes = row_bytes(ir, entity);
    let keys = |columns: &[String]| index_entry_bytes(ir, entity, columns);
    let mut per_row_index: u64 = std::iter::once(&entity.primary_key)
        .filter(|k| !k.is_empty())
        .chain(entity.uniques.iter().map(|u| &u.columns))
        .map(|columns| keys(columns))
        .sum();
    for index in &entity.indexes {
        // Column keys at their width, expression keys at 8 bytes, INCLUDE columns too.
        let mut columns: Vec<String> = index
            .keys
            .iter()
            .map(|k| match &k.expr {
                crate::semantic::ir::Expr::Column { name } => name.clone(),
                _ => String::new(),
            })
            .collect();
        columns.extend(index.include.iter().cloned());
        let entry = match index.method {
            // GIN holds an entry per element: count the row's width once more.
            crate::semantic::ir::IndexMethod::Gin => row_bytes,
            _ => deduplicated(ir, entity, &columns, keys(&columns)),
        };
        // A partial index holds the rows its condition admits: half, by assumption.
        per_row_index += if index.predicate.is_some() { entry / 2 } else { entry };
    }
    (row_bytes, per_row_index)
}

/// (bytes, alignment) of a value of `ty` in a row.
fn width(ir: &Ir, ty: &Type) -> (u64, u64) {
    match ty {
        Type::Bool => (1, 1),
        Type::SmallInt => (2, 2),
        Type::Int | Type::Real | Type::Date | Type::Enum { .. } => (4, 4),
        Type::BigInt | Type::Double | Type::Timestamp { .. } | Type::Timestamptz { .. } | Type::Time { .. } => (8, 8),
        Type::Interval => (16, 8),
        Type::Uuid => (16, 1),
        // Short values carry a 1-byte header and need no alignment.
        Type::Text | Type::Sql { .. } => (1 + TEXT_BYTES, 1),
        Type::Varchar { length } => (1 + u64::from(*length).min(2 * TEXT_BYTES) / 2, 1),
        Type::Char { length } => (1 + u64::from(*length), 1),
        Type::Numeric { precision, .. } => (3 + u64::from(precision.unwrap_or(12)).div_ceil(4) * 2, 1),
        Type::Json => (4 + JSON_BYTES, 4),
        Type::Bytes => (1 + BYTES_BYTES, 1),
        Type::Array { element } => (24 + 4 * width(ir, element).0, 4),
        Type::Domain { name } => {
            ir.domains.iter().find(|d| &d.name == name).map_or((1 + TEXT_BYTES, 1), |d| width(ir, &d.base))
        }
    }
}

/// `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1.2 GiB`, `340 MiB`, `12 KiB`.
pub fn human(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else if value < 10.0 {
        format!("{value:.1} {}", units[unit])
    } else {
        format!("{value:.0} {}", units[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_follows_column_order() {
        let ir = |fields: &str| {
            let source = format!("entity T {{\n  id bigint primary\n{fields}  volume 1M rows\n}}\n");
            crate::driver::compile_str("t.schema", &source).ir
        };
        // Each bool before a bigint pads 7 bytes; two bools at the end share 8.
        let padded = estimate(&ir("  a bool\n  n bigint\n  b bool\n  m bigint\n"));
        let packed = estimate(&ir("  n bigint\n  m bigint\n  a bool\n  b bool\n"));
        assert_eq!(padded[0].row_bytes, 24 + 8 + 16 + 16 + 4);
        assert_eq!(packed[0].row_bytes, 24 + 8 + 8 + 8 + 8 + 4);
        assert_eq!(padded[0].rows, Some(1_000_000));
        assert_eq!(human(1536), "1.5 KiB");
        assert_eq!(human(512 * 1024 * 1024), "512 MiB");
    }
}
