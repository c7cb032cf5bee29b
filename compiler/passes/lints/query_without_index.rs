//! W0400: a workload query that no key or B-tree index leads with any of its
//! equality columns — or, with none, its range or `order by` column — reads
//! the whole table on every run. Entities declared smaller than 10,000 rows
//! (`volume`) are left alone: scanning them is cheap.
//!
//! The analysis is `performance::access_path`; build/performance.md has the
//! details and this lint only makes the worst case visible in `check`.

use super::at;
use crate::diagnostics::{codes, Diagnostic};
use crate::passes::Context;
use crate::performance::access_path::{self, Served};
use crate::semantic::ir::Ir;

/// Below this declared volume a full scan is cheap.
const SMALL: u64 = 10_000;

pub fn run(ir: &Ir, cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for access in access_path::analyse(ir) {
        if access.served != Served::No || access.wanted.is_empty() {
            continue;
        }
        let small = ir.entity(&access.query.entity).and_then(|e| e.volume.as_ref()).is_some_and(|v| v.rows < SMALL);
        if small {
            continue;
        }
        let index = access.index_text();
        let d = Diagnostic::new(
            codes::W0400,
            format!("no index serves query `{}`: every run reads all of `{}`", access.query.name, access.query.entity),
        );
        out.push(
            at(d, cx, &access.query.id, "reads the whole table")
                .help(format!("add `{index}` to `{}`", access.query.entity)),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    fn warnings(source: &str) -> Vec<String> {
        super::super::messages(super::run, source)
    }

    #[test]
    fn full_scans_are_reported_unless_the_table_is_small_or_a_partial_index_matches() {
        let entity = |extra: &str| {
            format!(
                "entity Order {{\n  id bigint = identity primary\n  status text\n  placed_at timestamptz\n{extra}}}\n"
            )
        };
        let query = "workload w {\n  query open: Order where status in ('placed', 'paid') order by placed_at\n}\n";
        assert_eq!(
            warnings(&format!("{}{query}", entity(""))),
            ["no index serves query `open`: every run reads all of `Order`"]
        );
        assert!(warnings(&format!("{}{query}", entity("  volume 500 rows\n"))).is_empty(), "small tables are fine");
        let partial = entity("  index (status) where status in ('placed', 'paid')\n");
        assert!(warnings(&format!("{partial}{query}")).is_empty(), "the partial index states the query's condition");
        let other = entity("  index (status) where status == 'placed'\n");
        assert_eq!(warnings(&format!("{other}{query}")).len(), 1, "a partial index for other rows does not serve it");
    }
}
