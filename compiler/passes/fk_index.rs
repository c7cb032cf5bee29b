//! Foreign key index inference: every foreign key gets an index on its
//! columns unless the primary key, a unique constraint or a btree index
//! already starts with them. Without one, deleting a parent row scans the
//! whole child table, and joins along the relation cannot use an index.
//!
//! Adds indexes with `Origin::Relation`; never removes or changes one.

use super::{is_led_by_index, Context};
use crate::diagnostics::Diagnostic;
use crate::semantic::ir::{Expr, Index, IndexKey, IndexMethod, Ir, Origin};

pub fn run(ir: &mut Ir, _cx: &Context) -> Vec<Diagnostic> {
    for entity in &mut ir.entities {
        for fk in 0..entity.foreign_keys.len() {
            let columns = entity.foreign_keys[fk].columns.clone();
            if columns.is_empty() || is_led_by_index(entity, &columns) {
                continue;
            }
            let relation = entity.foreign_keys[fk].relation.clone();
            entity.indexes.push(Index {
                name: None,
                unique: false,
                keys: columns
                    .into_iter()
                    .map(|name| IndexKey { expr: Expr::Column { name }, descending: false, nulls_first: None })
                    .collect(),
                include: Vec::new(),
                predicate: None,
                method: IndexMethod::Btree,
                origin: Origin::Relation { relation },
            });
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use crate::passes::{Context, Options};
    use crate::semantic::ir::Origin;

    fn run(source: &str) -> crate::semantic::ir::Ir {
        let mut c = crate::driver::compile_str("test.schema", source);
        assert!(!c.has_errors(), "{:?}", c.diagnostics);
        let options = Options { reorder_columns: false, ..Options::default() };
        super::run(&mut c.ir, &Context { options: &options, source_map: &c.source_map });
        c.ir
    }

    #[test]
    fn adds_an_index_for_an_unindexed_foreign_key() {
        let ir = run("entity A { id int primary }\nentity B { id int primary }\nrelation B.a -> A.bs\n");
        let b = ir.entity("B").unwrap();
        assert_eq!(b.indexes.len(), 1);
        assert!(matches!(&b.indexes[0].origin, Origin::Relation { relation } if relation == "relation:B.a"));
    }

    #[test]
    fn skips_a_foreign_key_an_index_already_leads_with() {
        let ir = run(
            "entity A { id int primary }\nentity B { id int primary\n n int\n index (a, n) }\nrelation B.a -> A.bs\n",
        );
        assert_eq!(ir.entity("B").unwrap().indexes.len(), 1);
    }

    #[test]
    fn a_composite_primary_key_serves_its_first_column_only() {
        let ir = run("entity A { id int primary }\nentity C { id int primary }\n\
             entity B { n int\n primary (a, c) }\nrelation B.a -> A.bs\nrelation B.c -> C.bs\n");
        let b = ir.entity("B").unwrap();
        assert_eq!(b.indexes.len(), 1, "only c_id needs an index");
        assert_eq!(super::super::leading_columns(&b.indexes[0]), vec!["c_id"]);
    }

    #[test]
    fn a_partial_index_does_not_count() {
        let ir = run(
            "entity A { id int primary }\nentity B { id int primary\n live bool\n index (a) where live }\nrelation B.a -> A.bs\n",
        );
        assert_eq!(ir.entity("B").unwrap().indexes.len(), 2);
    }
}
