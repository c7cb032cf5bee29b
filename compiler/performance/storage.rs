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
    let key_widths: Vec<u64> = std::iter::once(&entity.primary_key)
        .filter(|k| !k.is_empty())
        .chain(entity.uniques.iter().map(|u| &u.columns))
        .map(|columns| columns.iter().map(|c| entity.field(c).map_or(8, |f| width(ir, &f.ty).0)).sum())
        .chain(entity.indexes.iter().map(|i| i.keys.len() as u64 * 8))
        .collect();
    // B-tree leaf entries: 8-byte index tuple header + keys, MAXALIGNed, + line pointer.
    let per_row_index: u64 = key_widths.iter().map(|k| (8 + k).div_ceil(8) * 8 + 4).sum();
    (row_bytes, per_row_index)
}

/// (bytes, alignment) of a value of `ty` in a row.
fn width(ir: &Ir, ty: &Type) -> (u64, u64) {
    match ty {
        Type::Bool => (1, 1),
        Type::SmallInt => (2, 2),
        Type::Int | Type::Real | Type::Date | Type::Enum { .. } => (4, 4),
        Type::BigInt | Type::Double | Type::Timestamp | Type::Timestamptz | Type::Time => (8, 8),
        Type::Interval => (16, 8),
        Type::Uuid => (16, 1),
        // Short values carry a 1-byte header and need no alignment.
        Type::Text => (1 + TEXT_BYTES, 1),
        Type::Varchar { length } => (1 + u64::from(*length).min(2 * TEXT_BYTES) / 2, 1),
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
