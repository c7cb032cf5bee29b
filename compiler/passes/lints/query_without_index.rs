//! W0400: a workload query that no key or B-tree index leads with any of its
//! equality columns — or, with none, its range or `order by` column — reads
//! the whole table on every run. With index advice on, that happens when no
//! index would help (the query matches too many rows); with it off, when the
//! schema lacks the index. Entities declared smaller than 10,000 rows
//! (`volume`) are left alone: scanning them is cheap.
//!
//! The analysis is `performance::access_path`; build/performance.md has the
//! details and this lint only makes the worst case visible in `check`.

use super::at;
use crate::diagnostics::{codes, Diagnostic};
use crate::passes::index_advice::SMALL;
use crate::passes::Context;
use crate::performance::access_path::{self, Served};
use crate::performance::estimate;
use crate::semantic::ir::Ir;

pub fn run(ir: &Ir, cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for access in access_path::analyse(ir) {
        if access.served != Served::No || access.wanted.is_empty() {
            continue;
        }
        let Some(entity) = ir.entity(&access.query.entity) else { continue };
        if entity.volume.as_ref().is_some_and(|v| v.rows < SMALL) {
            continue;
        }
        let index = access.index_text();
        let cost = estimate::cost(ir, entity, &access, false, 1.0);
        let help = if cost.index_pays() {
            format!(
                "add `{index}` to `{}`, or turn index advice back on (`advise_indexes` under `[passes]`)",
                entity.name
            )
        } else {
            format!(
                "it matches about {:.0}% of the rows, so no index would help: add a `limit` with an `order by`, \
                 or narrow the condition; if few rows really match, declare a partial index with its condition",
                100.0 * cost.matched / cost.rows
            )
        };
        let d = Diagnostic::new(
            codes::W0400,
            format!("no index serves query `{}`: every run reads all of `{}`", access.query.name, access.query.entity),
        );
        out.push(at(d, cx, &access.query.id, "reads the whole table").help(help));
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
