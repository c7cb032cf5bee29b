//! What a workload query costs, in pages read: how many of the entity's
//! rows its condition matches, how many it reads through the index that
//! serves it (all the matches, or only `limit` of them when the index hands
//! them over in `order by` order), and what a full scan reads instead. The
//! ratio is the margin the index buys; the index advisor adds an index only
//! when that margin is worth it, the report prints it, and `schemac analyze`
//! checks it against the buffers PostgreSQL really reads.
//!
//! The model (also in spec/workload.md, and the distributions the synthetic
//! data of `schemac analyze` follows):
//! - a value of a unique column matches one row; a foreign key value matches
//!   rows / parent rows; an enum value 1 / its number of values (`in` with k
//!   values: k of them); a boolean half the rows; any other column's values
//!   are distinct (one row);
//! - a recent window (`at > now() - '30 days'`) matches 30 days of the
//!   entity's span (rows / growth per day, else 365 days); any other range
//!   matches a tenth of the rows;
//! - an entity without `volume` is assumed to hold [`ASSUMED_ROWS`] rows.
//!
//! Reads the IR only; pure arithmetic.

use super::access_path::Access;
use super::storage::{self, PAGE_BYTES};
use crate::semantic::ir::{Entity, Ir, PartitionKind, TimeUnit, Type};

/// Rows assumed for an entity that declares no `volume`.
pub const ASSUMED_ROWS: u64 = 1_000_000;
/// The share of rows a range other than a recent window matches.
pub const RANGE_FRACTION: f64 = 0.1;
/// The days of data an entity without a growth rate spans.
pub const DEFAULT_SPAN_DAYS: f64 = 365.0;
/// A random page read costs this many sequential ones (PostgreSQL's
/// `random_page_cost` against `seq_page_cost`).
pub const RANDOM_PAGE: f64 = 4.0;
/// Pages read to descend a B-tree to its first leaf.
const DESCENT_PAGES: f64 = 3.0;

/// The cost of one run of a query, in 8 KiB pages.
#[derive(Debug, Clone, PartialEq)]
pub struct Cost {
    /// Rows in the table.
    pub rows: f64,
    /// Rows the condition matches.
    pub matched: f64,
    /// Rows read through the index (fewer than `matched` with an ordered `limit`).
    pub read: f64,
    /// Pages a full scan reads: the whole table.
    pub full_scan_pages: f64,
    /// Pages read through the index: descent, leaf pages and one heap page
    /// per row read (none when the index covers every column the query reads).
    pub index_pages: f64,
    /// Rows and pages read through an index on the first equality column
    /// alone: all the rows it finds, then filtered and sorted.
    pub lead: Option<(f64, f64)>,
}

impl Cost {
    /// How many times fewer pages the index reads than a full scan.
    pub fn margin(&self) -> f64 {
        self.full_scan_pages / self.index_pages.max(1.0)
    }

    /// Whether reading through the index beats a full scan, with random
    /// page reads at [`RANDOM_PAGE`] times a sequential one: when it does
    /// not, PostgreSQL scans the table even though the index exists.
    pub fn index_pays(&self) -> bool {
        self.index_pages * RANDOM_PAGE < self.full_scan_pages
    }
}

/// The rows an entity holds at `scale` of its declared (or assumed) volume.
pub fn rows(entity: &Entity, scale: f64) -> f64 {
    let declared = entity.volume.as_ref().map_or(ASSUMED_ROWS, |v| v.rows);
    (declared as f64 * scale).round().max(1.0)
}

/// The days of data an entity spans: the time its volume took to grow.
pub fn span_days(entity: &Entity) -> f64 {
    match entity.volume.as_ref() {
        Some(v) => match v.growth_per_day {
            Some(g) if g > 0 => (v.rows as f64 / g as f64).clamp(1.0, 3650.0),
            _ => DEFAULT_SPAN_DAYS,
        },
        None => DEFAULT_SPAN_DAYS,
    }
}

/// The cost of `access` through its wanted index (`covering`: the index
/// holds every column the query reads), at `scale` of the volumes.
pub fn cost(ir: &Ir, entity: &Entity, access: &Access, covering: bool, scale: f64) -> Cost {
    cost_with(ir, entity, access, covering, &|e| rows(e, scale))
}

/// [`cost`] with the rows of each entity given (what a database really
/// holds, for `schemac analyze`).
pub fn cost_with(ir: &Ir, entity: &Entity, access: &Access, covering: bool, rows_of: &dyn Fn(&Entity) -> f64) -> Cost {
    let rows = rows_of(entity).max(1.0);
    let matched = (rows * matched_fraction(ir, entity, access, rows_of)).max(1.0).min(rows);
    let read = match access.query.limit {
        Some(limit) if access.order_served() || access.query.order_by.is_empty() => matched.min(limit as f64),
        _ => matched,
    };
    let row_bytes = storage::row_bytes(ir, entity) as f64;
    // Partitions outside the query's range on the partition key are never read.
    let pruned = pruned_share(entity, access);
    let full_scan_pages = (rows * pruned * row_bytes / PAGE_BYTES as f64).ceil().max(1.0);
    let through = |keys: &[String], read: f64, covering: bool| {
        let entry = storage::index_entry_bytes(ir, entity, keys) as f64;
        let leaf_pages = (read * entry / PAGE_BYTES as f64).ceil();
        let heap_pages = if covering { 0.0 } else { read.min(full_scan_pages) };
        DESCENT_PAGES + leaf_pages + heap_pages
    };
    let keys: Vec<String> = access.wanted.iter().map(|(c, _)| c.clone()).collect();
    let index_pages = through(&keys, read, covering);
    let lead = access.equality.first().map(|lead| {
        let found =
            (rows * pruned * equality_fraction(ir, entity, lead, in_list_len(access, lead), rows_of)).clamp(1.0, rows);
        (found, through(std::slice::from_ref(lead), found, false))
    });
    Cost { rows, matched, read, full_scan_pages, index_pages, lead }
}

/// The share of the rows in the partitions a query reads: an entity
/// partitioned by range on the column the query ranges over reads only the
/// partitions its range touches — the range's share of the span (a recent
/// window's days, else [`RANGE_FRACTION`]) plus at most one partition's
/// length. Everything else reads every partition.
pub fn pruned_share(entity: &Entity, access: &Access) -> f64 {
    let (Some(partition), Some(range)) = (&entity.partition, &access.range) else {
        return 1.0;
    };
    if partition.kind != PartitionKind::Range || partition.columns.first() != Some(range) {
        return 1.0;
    }
    let step = step_days(partition);
    let span = span_days(entity);
    let share = access.window_days.map_or(RANGE_FRACTION, |days| days / span);
    (share + step / span).min(1.0)
}

/// The days one range partition covers.
fn step_days(partition: &crate::semantic::ir::Partition) -> f64 {
    partition.interval.as_ref().map_or(30.0, |i| {
        f64::from(i.count)
            * match i.unit {
                TimeUnit::Second => 1.0 / 86_400.0,
                TimeUnit::Minute => 1.0 / 1_440.0,
                TimeUnit::Hour => 1.0 / 24.0,
                TimeUnit::Day => 1.0,
                TimeUnit::Week => 7.0,
                TimeUnit::Month => 30.0,
                TimeUnit::Year => 365.0,
            }
    })
}

/// The share of an entity's rows one partition holds (1 unpartitioned).
pub fn partition_share(entity: &Entity) -> f64 {
    match &entity.partition {
        Some(p) if p.kind == PartitionKind::Range => (step_days(p) / span_days(entity)).min(1.0),
        Some(p) if p.kind == PartitionKind::Hash => 1.0 / f64::from(p.partitions.unwrap_or(4).max(1)),
        _ => 1.0,
    }
}

/// The share of the rows the query's condition matches.
pub fn matched_fraction(ir: &Ir, entity: &Entity, access: &Access, rows_of: &dyn Fn(&Entity) -> f64) -> f64 {
    let mut fraction = 1.0;
    for column in &access.equality {
        fraction *= equality_fraction(ir, entity, column, in_list_len(access, column), rows_of);
    }
    fraction *= 0.5f64.powi(access.flags.len() as i32);
    if access.range.is_some() {
        fraction *= match access.window_days {
            Some(days) => (days / span_days(entity)).min(1.0),
            None => RANGE_FRACTION,
        };
    }
    fraction
}

fn equality_fraction(ir: &Ir, entity: &Entity, column: &str, values: usize, rows_of: &dyn Fn(&Entity) -> f64) -> f64 {
    let rows = rows_of(entity).max(1.0);
    let one = [column.to_string()];
    let unique = entity.primary_key == one || entity.uniques.iter().any(|u| u.predicate.is_none() && u.columns == one);
    let per_value = if unique {
        1.0 / rows
    } else if let Some(fk) =
        entity.foreign_keys.iter().find(|fk| fk.columns.first().map(String::as_str) == Some(column))
    {
        ir.entity(&fk.references).map_or(1.0 / rows, |parent| 1.0 / rows_of(parent).max(1.0))
    } else {
        match entity.field(column).map(|f| &f.ty) {
            Some(Type::Enum { name }) => {
                1.0 / ir.enums.iter().find(|e| &e.name == name).map_or(1, |e| e.values.len().max(1)) as f64
            }
            Some(Type::Bool) => 0.5,
            // One value a day over the entity's span.
            Some(Type::Date) => (1.0 / span_days(entity)).max(1.0 / rows),
            _ => 1.0 / rows,
        }
    };
    (per_value * values as f64).min(1.0)
}

/// How many values an `in (…)` list on `column` holds (1 for `==`).
fn in_list_len(access: &Access, column: &str) -> usize {
    let mut found = 1;
    if let Some(filter) = &access.query.filter {
        filter.visit(&mut |e| {
            if let crate::semantic::ir::Expr::InList { expr, list, negated: false } = e {
                if matches!(expr.as_ref(), crate::semantic::ir::Expr::Column { name } if name == column) {
                    found = list.len().max(1);
                }
            }
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::performance::access_path::analyse;

    fn costs(source: &str) -> Vec<(String, Cost)> {
        let c = crate::driver::compile_str("t.schema", source);
        assert!(!c.has_errors(), "{:?}", c.diagnostics);
        analyse(&c.ir)
            .iter()
            .map(|a| {
                let entity = c.ir.entity(&a.query.entity).unwrap();
                (a.query.name.clone(), cost(&c.ir, entity, a, false, 1.0))
            })
            .collect()
    }

    #[test]
    fn selectivity_follows_keys_enums_windows_and_limits() {
        let source = "enum Status { placed, paid, shipped, delivered }\n\
            entity Customer {\n  id bigint = identity primary\n  volume 1M rows\n}\n\
            entity Order {\n  id bigint = identity primary\n  status Status\n  placed_at timestamptz\n  note text\n  volume 10M rows, grows 10k/day\n}\n\
            relation Order.customer -> Customer.orders { required }\n\
            workload w {\n  query history: Order where customer == $c order by placed_at desc limit 5\n  \
              query open: Order where status in (placed, paid)\n  \
              query recent: Order where placed_at > now() - '10 days'\n  \
              query by_note: Order where note == $n\n}\n";
        let found = costs(source);
        let get = |n: &str| found.iter().find(|(name, _)| name == n).unwrap().1.clone();
        // Ten orders per customer, five of them read in order.
        let history = get("history");
        assert_eq!((history.matched, history.read), (10.0, 5.0));
        assert!(history.margin() > 1000.0, "{history:?}");
        // Two of four statuses: half the table, no index helps.
        let open = get("open");
        assert_eq!(open.matched, 5_000_000.0);
        assert!(open.margin() <= 1.0, "{open:?}");
        // Ten days of a thousand.
        assert_eq!(get("recent").matched, 100_000.0);
        assert_eq!(get("by_note").matched, 1.0);
    }
}
