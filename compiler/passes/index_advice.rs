//! Index advice: for each workload query no key or index serves fully, the
//! B-tree index that would — its equality columns first, then its range
//! column or its `order by` keys, `where` the boolean columns it tests, and
//! `include` the columns it selects so the scan can be index-only — added
//! when the cost model (`performance::estimate`) says reading through it
//! costs at most a quarter of what the query reads now (random reads of
//! index and heap pages against the sequential scan or the partial path it
//! has).
//!
//! Queries that one index can serve share it: equality columns used by more
//! queries go first, so `(customer_id)` lookups ride on `(customer_id,
//! placed_at desc)`. Each index says which queries it is for
//! (`Origin::Query`); the redundant-index pass, after this one, drops the
//! indexes the new ones make redundant.
//!
//! A query's `join` along a back reference finds the joined rows by their
//! foreign key: an index leading with it is added when none exists (with
//! `fk_indexes` on, the foreign key's own index is there already).
//!
//! Adds indexes only; never removes or changes one. Small entities (declared
//! under 10,000 rows) get none: scanning them is cheap.

use std::collections::{BTreeMap, BTreeSet};

use super::Context;
use crate::diagnostics::Diagnostic;
use crate::performance::access_path::{self, flags_condition, same_direction, Access, Served};
use crate::performance::estimate::{self, RANDOM_PAGE};
use crate::semantic::ir::{Entity, Expr, Index, IndexKey, IndexMethod, Ir, Origin, Type};

/// Below this declared volume a full scan is cheap.
pub const SMALL: u64 = 10_000;
/// The advised path must read at most 1/`PAYS` of what the query reads now.
const PAYS: f64 = 4.0;
/// At most this many selected columns ride along in `include`.
const MAX_INCLUDE: usize = 4;

/// What one query wants.
struct Want {
    query: String,
    /// In the order the query writes them.
    equality: Vec<String>,
    tail: Vec<(String, bool)>,
    flags: Vec<(String, bool)>,
    include: BTreeSet<String>,
}

/// One index to add, and the queries it is for.
struct Advice {
    keys: Vec<(String, bool)>,
    flags: Vec<(String, bool)>,
    include: BTreeSet<String>,
    queries: Vec<String>,
}

pub fn run(ir: &mut Ir, _cx: &Context) -> Vec<Diagnostic> {
    let mut wants: BTreeMap<String, Vec<Want>> = BTreeMap::new();
    for access in access_path::analyse(ir) {
        let Some(entity) = ir.entity(&access.query.entity) else { continue };
        if let Some(want) = want(ir, entity, &access) {
            wants.entry(entity.name.clone()).or_default().push(want);
        }
    }
    // Rows joined by a back reference are found by their foreign key.
    for query in &ir.queries {
        for join in query.joins.iter().filter(|j| j.many) {
            let Some(joined) = ir.entity(&join.entity) else { continue };
            let columns: Vec<String> = join.on.iter().map(|(_, there)| there.clone()).collect();
            if crate::passes::is_led_by_index(joined, &columns)
                || joined.volume.as_ref().is_some_and(|v| v.rows < SMALL)
            {
                continue;
            }
            wants.entry(joined.name.clone()).or_default().push(Want {
                query: query.name.clone(),
                equality: columns,
                tail: Vec::new(),
                flags: Vec::new(),
                include: BTreeSet::new(),
            });
        }
    }
    for (name, wants) in wants {
        let advice = merge(wants);
        let Some(entity) = ir.entities.iter_mut().find(|e| e.name == name) else { continue };
        for a in advice {
            let mut queries = a.queries;
            queries.sort();
            entity.indexes.push(Index {
                name: None,
                unique: false,
                keys: a
                    .keys
                    .into_iter()
                    .map(|(name, descending)| IndexKey { expr: Expr::Column { name }, descending, nulls_first: None })
                    .collect(),
                include: a.include.into_iter().collect(),
                predicate: flags_condition(&a.flags),
                method: IndexMethod::Btree,
                origin: Origin::Query { queries },
            });
        }
    }
    Vec::new()
}

/// The index `access` wants, when the query is not served fully and the
/// index pays for itself.
fn want(ir: &Ir, entity: &Entity, access: &Access) -> Option<Want> {
    if matches!(access.served, Served::Fully(_)) || access.wanted.is_empty() {
        return None;
    }
    if entity.volume.as_ref().is_some_and(|v| v.rows < SMALL) {
        return None;
    }
    let include = include(entity, access);
    let covering = !access.query.select.is_empty() && include.is_some();
    let advised = estimate::cost(ir, entity, access, covering, 1.0);
    let now = match (&access.served, advised.lead) {
        (Served::Partly(_), Some((_, pages))) => pages * RANDOM_PAGE,
        _ => advised.full_scan_pages,
    };
    if advised.index_pages * RANDOM_PAGE * PAYS > now {
        return None;
    }
    let equality = access.equality.clone();
    let tail = access.wanted.iter().filter(|(c, _)| !equality.contains(c)).cloned().collect();
    let mut flags = access.flags.clone();
    flags.sort();
    Some(Want { query: access.query.name.clone(), equality, tail, flags, include: include.unwrap_or_default() })
}

/// The selected columns the keys do not hold, when few and narrow enough
/// to carry in the index (None when they are not).
fn include(entity: &Entity, access: &Access) -> Option<BTreeSet<String>> {
    let extra: BTreeSet<String> =
        access.query.select.iter().filter(|c| !access.wanted.iter().any(|(k, _)| k == *c)).cloned().collect();
    let wide =
        |c: &String| entity.field(c).is_none_or(|f| matches!(f.ty, Type::Json | Type::Bytes | Type::Array { .. }));
    (extra.len() <= MAX_INCLUDE && !extra.iter().any(wide)).then_some(extra)
}

/// Fewest indexes serving every want: the longest first, each later want
/// riding on an earlier index when that index leads with its equality
/// columns (in any order) and then its tail, with the same condition.
fn merge(mut wants: Vec<Want>) -> Vec<Advice> {
    let mut uses: BTreeMap<&str, usize> = BTreeMap::new();
    for w in &wants {
        for c in &w.equality {
            *uses.entry(c.as_str()).or_default() += 1;
        }
    }
    let uses: BTreeMap<String, usize> = uses.into_iter().map(|(c, n)| (c.to_string(), n)).collect();
    wants.sort_by(|a, b| {
        (b.equality.len() + b.tail.len()).cmp(&(a.equality.len() + a.tail.len())).then(a.query.cmp(&b.query))
    });
    let mut advice: Vec<Advice> = Vec::new();
    for w in wants {
        if let Some(a) = advice.iter_mut().find(|a| a.flags == w.flags && serves(&a.keys, &w)) {
            a.queries.push(w.query);
            a.include.extend(w.include);
            a.include.retain(|c| !a.keys.iter().any(|(k, _)| k == c));
            continue;
        }
        // Most used first; ties in the order the query writes them (a stable sort).
        let mut equality: Vec<&String> = w.equality.iter().collect();
        equality.sort_by(|a, b| uses[b.as_str()].cmp(&uses[a.as_str()]));
        let keys = equality.into_iter().map(|c| (c.clone(), false)).chain(w.tail).collect();
        advice.push(Advice { keys, flags: w.flags, include: w.include, queries: vec![w.query] });
    }
    advice
}

fn serves(keys: &[(String, bool)], want: &Want) -> bool {
    let lead = want.equality.len();
    if keys.len() < lead + want.tail.len() {
        return false;
    }
    let leading: BTreeSet<&String> = keys[..lead].iter().map(|(c, _)| c).collect();
    let tail = &keys[lead..lead + want.tail.len()];
    leading == want.equality.iter().collect::<BTreeSet<_>>()
        && tail.iter().zip(&want.tail).all(|(k, w)| k.0 == w.0)
        && same_direction(want.tail.iter().map(|w| w.1), tail.iter().map(|k| k.1))
}

#[cfg(test)]
mod tests {
    use crate::passes::{run_all, Context, Options};
    use crate::semantic::ir::{Ir, Origin};

    fn advised(source: &str) -> Vec<String> {
        let mut c = crate::driver::compile_str("t.schema", source);
        assert!(!c.has_errors(), "{:?}", c.diagnostics);
        let options = Options { reorder_columns: false, ..Options::default() };
        run_all(&mut c.ir, &Context { options: &options, source_map: &c.source_map });
        indexes(&c.ir)
    }

    fn indexes(ir: &Ir) -> Vec<String> {
        let mut out = Vec::new();
        for e in &ir.entities {
            for i in &e.indexes {
                let keys: Vec<String> = i
                    .keys
                    .iter()
                    .map(|k| crate::graph::text::expr_text(&k.expr) + if k.descending { " desc" } else { "" })
                    .collect();
                let mut text = format!("{}: ({})", e.name, keys.join(", "));
                if !i.include.is_empty() {
                    text.push_str(&format!(" include ({})", i.include.join(", ")));
                }
                if let Some(p) = &i.predicate {
                    text.push_str(&format!(" where {}", crate::graph::text::expr_text(p)));
                }
                if let Origin::Query { queries } = &i.origin {
                    text.push_str(&format!(" for {}", queries.join(", ")));
                }
                out.push(text);
            }
        }
        out
    }

    const SHOP: &str = "enum Status { placed, paid, shipped, delivered }\n\
        entity Customer {\n  id bigint = identity primary\n  email text\n  volume 20k rows\n}\n\
        entity Order {\n  id bigint = identity primary\n  status Status\n  placed_at timestamptz\n  \
          settled bool\n  note text\n  total int\n  volume 10M rows, grows 10k/day\n}\n\
        relation Order.customer -> Customer.orders { required }\n";

    #[test]
    fn queries_sharing_a_prefix_share_one_index_and_the_fk_index_goes() {
        let source = format!(
            "{SHOP}workload w {{\n  query history: Order where customer == $c order by placed_at desc limit 20\n  \
               query count_mine: Order where customer == $c\n  \
               query login: Customer where email == $e\n}}\n"
        );
        assert_eq!(
            advised(&source),
            ["Customer: (email) for login", "Order: (customer_id, placed_at desc) for history"],
            "the FK index (customer_id) is a prefix of the advised one and goes; count_mine rides on either"
        );
    }

    #[test]
    fn flags_become_the_condition_and_selected_columns_are_included() {
        let source = format!(
            "{SHOP}workload w {{\n  query unpaid: Order where customer == $c and not settled select (total, status) order by placed_at\n}}\n"
        );
        assert_eq!(
            advised(&source),
            [
                "Order: (customer_id)",
                "Order: (customer_id, placed_at) include (status, total) where not settled for unpaid"
            ],
            "a partial index cannot serve the foreign key: its index stays"
        );
    }

    #[test]
    fn no_index_for_unselective_queries_small_tables_or_served_ones() {
        let source = format!(
            "{SHOP}entity Country {{\n  code text primary\n  name text\n  volume 250 rows\n}}\n\
             workload w {{\n  query open: Order where status in (placed, paid)\n  \
               query by_name: Country where name == $n\n  \
               query mine: Order where customer == $c\n}}\n"
        );
        // `open` reads half the table; Country is small; `mine` has the FK index.
        assert_eq!(advised(&source), ["Order: (customer_id)"]);
    }

    #[test]
    fn a_join_along_a_back_reference_gets_the_foreign_key_index_it_reads() {
        let source = format!("{SHOP}workload w {{\n  query profile: Customer join orders where email == $e\n}}\n");
        let mut c = crate::driver::compile_str("t.schema", &source);
        assert!(!c.has_errors(), "{:?}", c.diagnostics);
        // Without foreign key indexes, the join is what asks for one.
        let options = Options { fk_indexes: false, reorder_columns: false, ..Options::default() };
        run_all(&mut c.ir, &Context { options: &options, source_map: &c.source_map });
        assert_eq!(indexes(&c.ir), ["Customer: (email) for profile", "Order: (customer_id) for profile"]);
    }

    #[test]
    fn equality_columns_used_most_lead() {
        let source = "entity Post {\n  id bigint = identity primary\n  tenant int\n  author int\n  at timestamptz\n}\n\
            workload w {\n  query a: Post where author == $a and tenant == $t order by at limit 10\n  \
              query b: Post where tenant == $t and author == $a\n  \
              query c: Post where tenant == $t order by at limit 10\n}\n";
        // tenant is used by all three, so it leads; a and b share (tenant, author, at).
        assert_eq!(advised(source), ["Post: (tenant, author, at) for a, b", "Post: (tenant, at) for c"]);
    }
}
