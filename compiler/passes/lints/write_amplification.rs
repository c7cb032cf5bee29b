//! W0402: an entity that grows by a million rows a day or more and carries
//! more than five indexes (its primary key and unique keys included): each
//! insert writes every one of them, and their upkeep, not the table, sets
//! how fast the table can take rows. Indexes added by patterns, relations
//! and the workload's advice count too.

use super::at;
use crate::diagnostics::{codes, Diagnostic};
use crate::passes::Context;
use crate::semantic::ir::Ir;

/// Rows a day from which an entity counts as write-heavy.
const HEAVY: u64 = 1_000_000;
/// Indexes such an entity may carry without a warning.
const MAX_INDEXES: usize = 5;

pub fn run(ir: &Ir, cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for entity in &ir.entities {
        let Some(growth) = entity.volume.as_ref().and_then(|v| v.growth_per_day) else { continue };
        let count = usize::from(!entity.primary_key.is_empty()) + entity.uniques.len() + entity.indexes.len();
        if growth < HEAVY || count <= MAX_INDEXES {
            continue;
        }
        let per_second = growth as f64 / 86_400.0;
        let d = Diagnostic::new(
            codes::W0402,
            format!(
                "`{}` takes about {per_second:.0} inserts a second and keeps {count} indexes: \
                 each insert writes {count} index entries",
                entity.name
            ),
        )
        .note("build/performance.md lists every index and why it exists");
        out.push(at(d, cx, &entity.id, "a write-heavy entity").help(
            "drop indexes no query needs, merge ones that share leading columns, or move rarely used lookups to a replica",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn many_indexes_on_a_write_heavy_entity_are_reported() {
        let source = |growth: &str| {
            format!(
                "entity Hit {{\n  id bigint = identity primary\n  a int\n  b int\n  c int\n  d int\n  e int\n  \
                 index (a)\n  index (b)\n  index (c)\n  index (d)\n  index (e)\n  volume 10M rows, grows {growth}/day\n}}\n"
            )
        };
        assert_eq!(
            super::super::messages(super::run, &source("2M")),
            ["`Hit` takes about 23 inserts a second and keeps 6 indexes: each insert writes 6 index entries"]
        );
        assert!(super::super::messages(super::run, &source("10k")).is_empty());
    }
}
