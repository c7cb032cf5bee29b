//! Redundant index elimination: an index is dropped when another index, the
//! primary key or a unique constraint serves every lookup it serves — the
//! same keys in the same order (it is a prefix), the same method (btree, or
//! an exact duplicate), the same condition, and its INCLUDE columns covered.
//! Every index costs writes and memory; a prefix of another one buys nothing.
//!
//! A redundant index the user declared is reported (W0205) and dropped; one
//! a pattern or a relation added goes quietly. Unique constraints are never
//! dropped: they are rules, not just access paths.

use super::Context;
use crate::diagnostics::{codes, Diagnostic};
use crate::semantic::ir::{Entity, Expr, Index, IndexKey, IndexMethod, Ir, Origin};

/// One access path of a table: its keys and the columns it carries.
struct Path<'a> {
    keys: Vec<IndexKey>,
    covered: Vec<&'a str>,
    method: IndexMethod,
    predicate: Option<&'a Expr>,
    what: String,
}

fn column_keys(columns: &[String]) -> Vec<IndexKey> {
    columns
        .iter()
        .map(|c| IndexKey { expr: Expr::Column { name: c.clone() }, descending: false, nulls_first: None })
        .collect()
}

fn describe(keys: &[IndexKey]) -> String {
    keys.iter()
        .map(|k| match &k.expr {
            Expr::Column { name } => name.clone() + if k.descending { " desc" } else { "" },
            _ => "(expression)".into(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn paths(entity: &Entity) -> Vec<Path<'_>> {
    let mut out = Vec::new();
    if !entity.primary_key.is_empty() {
        out.push(Path {
            keys: column_keys(&entity.primary_key),
            covered: Vec::new(),
            method: IndexMethod::Btree,
            predicate: None,
            what: format!("the primary key ({})", entity.primary_key.join(", ")),
        });
    }
    for u in &entity.uniques {
        out.push(Path {
            keys: column_keys(&u.columns),
            covered: Vec::new(),
            method: IndexMethod::Btree,
            predicate: u.predicate.as_ref(),
            what: format!("unique ({})", u.columns.join(", ")),
        });
    }
    for i in &entity.indexes {
        out.push(Path {
            keys: i.keys.clone(),
            covered: i.include.iter().map(String::as_str).collect(),
            method: i.method,
            predicate: i.predicate.as_ref(),
            what: match &i.origin {
                Origin::Query { queries } => {
                    format!(
                        "index ({}), advised for the workload's {},",
                        describe(&i.keys),
                        Origin::query_list(queries)
                    )
                }
                _ => format!("index ({})", describe(&i.keys)),
            },
        });
    }
    out
}

/// Whether `other` serves every lookup `index` serves.
fn serves(other: &Path, index: &Index) -> bool {
    let same_kind = other.method == index.method && other.predicate == index.predicate.as_ref();
    if !same_kind || other.keys.len() < index.keys.len() {
        return false;
    }
    if index.method != IndexMethod::Btree && other.keys.len() != index.keys.len() {
        return false;
    }
    let prefix = other.keys.iter().zip(&index.keys).all(|(a, b)| a == b);
    let carried = |c: &String| {
        other.covered.contains(&c.as_str())
            || other.keys.iter().any(|k| matches!(&k.expr, Expr::Column { name } if name == c))
    };
    prefix && index.include.iter().all(carried)
}

pub fn run(ir: &mut Ir, cx: &Context) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for entity in &mut ir.entities {
        let mut drop = vec![false; entity.indexes.len()];
        {
            let all = paths(entity);
            let offset = all.len() - entity.indexes.len();
            for (i, index) in entity.indexes.iter().enumerate() {
                if index.unique {
                    continue; // enforces a rule: never redundant
                }
                let by = all.iter().enumerate().find(|(j, other)| {
                    let other_index = j.checked_sub(offset);
                    if other_index == Some(i) || other_index.is_some_and(|o| drop[o]) {
                        return false;
                    }
                    let exact = other.keys.len() == index.keys.len();
                    // Of two identical indexes the later one goes.
                    let earlier_twin = exact && other_index.is_some_and(|o| o > i);
                    !earlier_twin && serves(other, index)
                });
                if let Some((_, other)) = by {
                    // A declared index goes only for the advisor's index that
                    // replaces it; otherwise the schema keeps what was written.
                    let replaced = other.what.contains("advised");
                    drop[i] = index.origin != Origin::Declared || replaced;
                    if index.origin == Origin::Declared {
                        let d = Diagnostic::new(
                            codes::W0205,
                            format!(
                                "index ({}) on `{}` is redundant: {} serves the same lookups",
                                describe(&index.keys),
                                entity.name,
                                other.what
                            ),
                        );
                        let d = cx.source_map.at(d, &entity.id, "in this entity");
                        let help = if other.what.contains("advised") {
                            "remove the index, or set `advise_indexes = false` under `[passes]` in schemac.toml to keep your own"
                        } else {
                            "remove the index"
                        };
                        let note = if replaced {
                            "schemac leaves it out of the schema"
                        } else {
                            "schemac keeps it as written"
                        };
                        diagnostics.push(d.note(note).help(help));
                    }
                }
            }
        }
        let mut keep = drop.iter().map(|d| !d);
        entity.indexes.retain(|_| keep.next().unwrap_or(true));
    }
    diagnostics
}

#[cfg(test)]
mod tests {
    use crate::passes::{Context, Options};

    fn run(source: &str) -> (crate::semantic::ir::Ir, Vec<crate::diagnostics::Diagnostic>) {
        let mut c = crate::driver::compile_str("test.schema", source);
        assert!(!c.has_errors(), "{:?}", c.diagnostics);
        let options = Options::default();
        let d = super::run(&mut c.ir, &Context { options: &options, source_map: &c.source_map });
        (c.ir, d)
    }

    #[test]
    fn a_declared_prefix_of_another_index_stays_with_a_warning() {
        let (ir, d) = run("entity A { id int primary\n x int\n y int\n index (x)\n index (x, y) }\n");
        assert_eq!(ir.entity("A").unwrap().indexes.len(), 2);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code.0, "W0205");
    }

    #[test]
    fn declared_twins_both_stay_and_one_is_flagged() {
        let (ir, d) = run("entity A { id int primary\n x int\n index (x)\n index (x) }\n");
        assert_eq!(ir.entity("A").unwrap().indexes.len(), 2);
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn a_foreign_key_index_the_primary_key_serves_goes_quietly() {
        let mut c = crate::driver::compile_str(
            "test.schema",
            "entity P { id int primary }\nentity L { p_id int\n n int\n primary (p_id, n) }\nrelation L.p -> P { columns (p_id) }\n",
        );
        assert!(!c.has_errors(), "{:?}", c.diagnostics);
        let options = Options::default();
        let d = crate::passes::run_all(&mut c.ir, &Context { options: &options, source_map: &c.source_map });
        assert!(c.ir.entity("L").unwrap().indexes.is_empty());
        assert!(d.iter().all(|d| d.code.0 != "W0205"), "{d:?}");
    }

    #[test]
    fn a_different_order_direction_method_or_condition_is_not_redundant() {
        let (ir, d) = run(
            "entity A { id int primary\n x int\n y int\n live bool\n index (x desc)\n index (x, y)\n index (y) where live\n index (y, x)\n index (x) using hash }\n",
        );
        assert_eq!(ir.entity("A").unwrap().indexes.len(), 5, "{d:?}");
    }

    #[test]
    fn the_primary_key_and_uniques_serve_their_prefixes() {
        let (ir, d) = run("entity A { id int primary\n x int\n y int\n unique (x, y)\n index (x)\n index (id) }\n");
        assert_eq!(ir.entity("A").unwrap().indexes.len(), 2, "declared: kept");
        assert_eq!(d.len(), 2, "{d:?}");
    }

    #[test]
    fn include_columns_must_be_carried() {
        let (ir, _) =
            run("entity A { id int primary\n x int\n y int\n z int\n index (x) include (z)\n index (x, y) }\n");
        assert_eq!(ir.entity("A").unwrap().indexes.len(), 2);
    }
}
