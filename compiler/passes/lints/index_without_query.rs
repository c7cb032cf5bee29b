//! W0401: a declared B-tree index that no workload query of its entity can
//! use — its first column is none of the columns a query finds, ranges over
//! or orders by, or its condition is one no query states — and that serves
//! no foreign key. Every insert and update pays for it. Only entities with
//! workload queries are judged: without any, the workload says nothing
//! about how the table is read.

use std::collections::HashMap;

use super::at;
use crate::diagnostics::{codes, Diagnostic};
use crate::passes::Context;
use crate::performance::access_path::{self, Access};
use crate::semantic::ir::{Expr, Index, IndexMethod, Ir, Origin};

pub fn run(ir: &Ir, cx: &Context) -> Vec<Diagnostic> {
    let accesses = access_path::analyse(ir);
    // Each entity's accesses, in workload order.
    let mut by_entity: HashMap<&str, Vec<&Access>> = HashMap::new();
    for a in &accesses {
        by_entity.entry(a.query.entity.as_str()).or_default().push(a);
    }
    let mut out = Vec::new();
    for entity in &ir.entities {
        let Some(queries) = by_entity.get(entity.name.as_str()) else { continue };
        for index in &entity.indexes {
            if index.origin != Origin::Declared || index.method != IndexMethod::Btree {
                continue;
            }
            let Some(Expr::Column { name: first }) = index.keys.first().map(|k| &k.expr) else { continue };
            let serves_fk = entity.foreign_keys.iter().any(|fk| fk.columns.first() == Some(first));
            if serves_fk || queries.iter().any(|a| usable(index, first, a)) {
                continue;
            }
            let names: Vec<String> = queries.iter().map(|a| format!("`{}`", a.query.name)).collect();
            let d = Diagnostic::new(
                codes::W0401,
                format!("no workload query of `{}` uses index ({}…)", entity.name, first),
            )
            .note(format!("the queries of `{}`: {}", entity.name, names.join(", ")));
            out.push(
                at(d, cx, &entity.id, "in this entity")
                    .help("remove the index, or add the query that needs it to the workload"),
            );
        }
    }
    out
}

fn usable(index: &Index, first: &str, a: &Access) -> bool {
    let leads = a.equality.iter().any(|c| c == first)
        || a.flags.iter().any(|(c, _)| c == first)
        || a.range.as_deref() == Some(first)
        || a.order.first().is_some_and(|(c, _)| c == first);
    let condition_stated = index.predicate.as_ref().is_none_or(|p| {
        let mut stated = false;
        if let Some(filter) = &a.query.filter {
            filter.visit(&mut |e| stated |= e == p);
        }
        stated || a.condition().as_ref() == Some(p)
    });
    leads && condition_stated
}

#[cfg(test)]
mod tests {
    fn warnings(source: &str) -> Vec<String> {
        super::super::messages(super::run, source)
    }

    #[test]
    fn indexes_no_query_leads_with_are_reported_when_the_entity_has_queries() {
        let entity = "entity Post {\n  id bigint = identity primary\n  slug text\n  at timestamptz\n  \
            index (slug)\n  index (at desc)\n}\n";
        let workload = "workload w {\n  query recent: Post order by at desc limit 10\n}\n";
        assert_eq!(warnings(&format!("{entity}{workload}")), ["no workload query of `Post` uses index (slug…)"]);
        assert!(warnings(entity).is_empty(), "no queries, no judgement");
    }
}
