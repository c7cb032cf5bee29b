//! For each workload query: the index that would serve it — equality
//! columns first, then the range column or the `order by` keys — and the
//! existing key or index that already does, if any.
//!
//! Reads the IR only (after the passes, so FK indexes count). It advises;
//! it does not add indexes to the schema.

use crate::semantic::ir::{BinaryOp, Entity, Expr, Index, IndexMethod, Ir, Origin, Query};

/// How a query reaches its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Access<'a> {
    pub query: &'a Query,
    /// Columns compared for equality (`==`, `in`), in the order written.
    pub equality: Vec<String>,
    /// Boolean columns tested as a whole (`where published`).
    pub flags: Vec<String>,
    /// The first column compared with `<`, `<=`, `>`, `>=` or `between`.
    pub range: Option<String>,
    /// `order by` keys that are plain columns, with `desc`.
    pub order: Vec<(String, bool)>,
    /// The index that would serve the query best: these keys, `where` the
    /// flags (a partial index holds only the rows the query can want).
    pub wanted: Vec<(String, bool)>,
    /// What serves it now.
    pub served: Served,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Served {
    /// A key or index leads with every wanted column.
    Fully(String),
    /// One leads with the equality columns only: rows are found, then sorted or filtered.
    Partly(String),
    /// Nothing: every run reads the whole table.
    No,
}

impl Access<'_> {
    /// The index that would serve the query fully, as the language writes it:
    /// `index (tenant_id, published_at desc) where published`.
    pub fn index_text(&self) -> String {
        let keys: Vec<String> =
            self.wanted.iter().map(|(c, desc)| if *desc { format!("{c} desc") } else { c.clone() }).collect();
        let mut text = format!("index ({})", keys.join(", "));
        if !self.flags.is_empty() {
            text.push_str(&format!(" where {}", self.flags.join(" and ")));
        }
        text
    }
}

pub fn analyse(ir: &Ir) -> Vec<Access<'_>> {
    let mut accesses: Vec<Access> =
        ir.queries.iter().filter_map(|q| ir.entity(&q.entity).map(|e| access(e, q))).collect();
    accesses.sort_by(|a, b| a.query.name.cmp(&b.query.name));
    accesses
}

fn access<'a>(entity: &Entity, query: &'a Query) -> Access<'a> {
    let mut equality = Vec::new();
    let mut flags = Vec::new();
    let mut range = None;
    let mut terms = Vec::new();
    if let Some(filter) = &query.filter {
        conjuncts(filter, &mut terms);
        for &term in &terms {
            match term {
                Expr::Binary { op: BinaryOp::Eq, left, right } => {
                    if let Some(c) = column_against_value(left, right) {
                        push_once(&mut equality, c);
                    }
                }
                Expr::InList { expr, negated: false, .. } => {
                    if let Expr::Column { name } = expr.as_ref() {
                        push_once(&mut equality, name);
                    }
                }
                Expr::Column { name } => push_once(&mut flags, name),
                Expr::Not { expr } => {
                    if let Expr::Column { name } = expr.as_ref() {
                        push_once(&mut flags, name);
                    }
                }
                Expr::Binary { op: BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge, left, right } => {
                    if let (None, Some(c)) = (&range, column_against_value(left, right)) {
                        range = Some(c.to_string());
                    }
                }
                Expr::Between { expr, negated: false, .. } => {
                    if let (None, Expr::Column { name }) = (&range, expr.as_ref()) {
                        range = Some(name.clone());
                    }
                }
                _ => {}
            }
        }
    }
    let order: Vec<(String, bool)> = query
        .order_by
        .iter()
        .map_while(|k| match &k.expr {
            Expr::Column { name } => Some((name.clone(), k.descending)),
            _ => None,
        })
        .collect();
    let mut wanted: Vec<(String, bool)> = equality.iter().map(|c| (c.clone(), false)).collect();
    match &range {
        Some(r) if order.first().is_none_or(|(first, _)| first == r) => {
            if order.is_empty() {
                wanted.push((r.clone(), false));
            } else {
                wanted.extend(order.iter().cloned());
            }
        }
        Some(r) => wanted.push((r.clone(), false)),
        None => wanted.extend(order.iter().filter(|(c, _)| !equality.contains(c)).cloned()),
    }
    let served = served(entity, &terms, &equality, &flags, &wanted);
    Access { query, equality, flags, range, order, wanted, served }
}

fn push_once(list: &mut Vec<String>, column: &str) {
    if !list.iter().any(|c| c == column) {
        list.push(column.to_string());
    }
}

fn conjuncts<'e>(expr: &'e Expr, out: &mut Vec<&'e Expr>) {
    match expr {
        Expr::Binary { op: BinaryOp::And, left, right } => {
            conjuncts(left, out);
            conjuncts(right, out);
        }
        other => out.push(other),
    }
}

/// `col <op> value` or `value <op> col`, where the value reads no column.
fn column_against_value<'e>(left: &'e Expr, right: &'e Expr) -> Option<&'e str> {
    let reads_columns = |e: &Expr| {
        let mut found = false;
        e.visit(&mut |x| found |= matches!(x, Expr::Column { .. }));
        found
    };
    match (left, right) {
        (Expr::Column { name }, value) | (value, Expr::Column { name }) if !reads_columns(value) => Some(name),
        _ => None,
    }
}

/// The best existing access: a key or btree index whose leading columns are
/// the equality and flag columns (in any order; a partial index `where flag`
/// stands for its flag), followed by the rest of `wanted`. A partial index
/// counts when the query states its condition word for word.
fn served(
    entity: &Entity,
    terms: &[&Expr],
    equality: &[String],
    flags: &[String],
    wanted: &[(String, bool)],
) -> Served {
    let mut candidates: Vec<(String, Vec<String>, Option<&Expr>)> = Vec::new();
    if !entity.primary_key.is_empty() {
        candidates.push(("the primary key".into(), entity.primary_key.clone(), None));
    }
    for unique in &entity.uniques {
        let what = format!("unique ({})", unique.columns.join(", "));
        candidates.push((what, unique.columns.clone(), unique.predicate.as_ref()));
    }
    for index in entity.indexes.iter().filter(|i| i.method == IndexMethod::Btree) {
        let keys: Vec<String> = crate::passes::leading_columns(index).into_iter().map(String::from).collect();
        candidates.push((describe(index), keys, index.predicate.as_ref()));
    }
    let mut best = Served::No;
    for (what, keys, predicate) in candidates {
        // A partial index serves only queries that test its condition.
        let covered_flag = match predicate {
            None => None,
            Some(Expr::Column { name }) if flags.contains(name) => Some(name.as_str()),
            Some(condition) if terms.contains(&condition) => None,
            Some(_) => continue,
        };
        // A flag the index does not filter on must be among its leading keys.
        let lead: Vec<&String> = equality
            .iter()
            .chain(flags.iter().filter(|f| Some(f.as_str()) != covered_flag && keys.contains(f)))
            .collect();
        if keys.len() < lead.len() || !lead.iter().all(|c| keys[..lead.len()].contains(c)) {
            if best == Served::No && keys.first().is_some_and(|k| lead.contains(&k)) {
                best = Served::Partly(what);
            }
            continue;
        }
        if lead.is_empty() && wanted.is_empty() {
            continue;
        }
        let rest: Vec<&String> =
            wanted.iter().map(|(c, _)| c).filter(|c| !lead.contains(c) && Some(c.as_str()) != covered_flag).collect();
        let tail = &keys[lead.len()..];
        if tail.len() >= rest.len() && rest.iter().zip(tail).all(|(w, k)| *w == k) {
            return Served::Fully(what);
        }
        // Leading with some of the equality columns still narrows the rows.
        if best == Served::No && keys.first().is_some_and(|k| lead.contains(&k)) {
            best = Served::Partly(what);
        }
    }
    best
}

fn describe(index: &Index) -> String {
    let keys: Vec<String> = index
        .keys
        .iter()
        .map(|k| {
            let mut text = crate::graph::text::expr_text(&k.expr);
            if k.descending {
                text.push_str(" desc");
            }
            text
        })
        .collect();
    let mut text = format!("index ({})", keys.join(", "));
    if let Some(predicate) = &index.predicate {
        text.push_str(&format!(" where {}", crate::graph::text::expr_text(predicate)));
    }
    let why = match &index.origin {
        Origin::Declared => "declared".to_string(),
        Origin::Pattern { pattern } => format!("from pattern {pattern}"),
        Origin::Relation { relation } => format!("for the foreign key of {}", relation.trim_start_matches("relation:")),
    };
    format!("{text}, {why}")
}

#[cfg(test)]
mod tests {
    use super::*;

    type Found = (String, Vec<(String, bool)>, Served);

    fn accesses(source: &str) -> Vec<Found> {
        let c = crate::driver::compile_str("t.schema", source);
        assert!(!c.has_errors(), "{:?}", c.diagnostics);
        analyse(&c.ir).into_iter().map(|a| (a.query.name.clone(), a.wanted.clone(), a.served.clone())).collect()
    }

    const POST: &str = "entity Post {\n  id bigint = identity primary\n  author int\n  topic int\n  published bool\n  at timestamptz\n  slug text unique\n  index (author, at desc)\n  index (at) where published\n}\n";

    #[test]
    fn equality_first_then_range_or_order() {
        let source = format!(
            "{POST}workload w {{\n  query by_author: Post where author == $a order by at desc limit 20\n  query by_topic: Post where topic == $t and at > $since order by at\n  query by_slug: Post where slug == $s\n  query recent: Post where published order by at desc\n  query topic_author: Post where topic == $t and author == $a\n}}\n"
        );
        let found = accesses(&source);
        let get = |name: &str| found.iter().find(|(n, _, _)| n == name).unwrap().clone();
        let col = |c: &str, desc: bool| (c.to_string(), desc);
        let (_, wanted, served) = get("by_author");
        assert_eq!(wanted, [col("author", false), col("at", true)]);
        assert!(matches!(served, Served::Fully(ref by) if by.starts_with("index (author, at desc)")), "{served:?}");
        let (_, wanted, served) = get("by_topic");
        assert_eq!(wanted, [col("topic", false), col("at", false)]);
        assert_eq!(served, Served::No);
        assert!(matches!(get("by_slug").2, Served::Fully(ref by) if by == "unique (slug)"));
        // A partial index `where published` serves a query that tests the flag.
        assert!(matches!(get("recent").2, Served::Fully(ref by) if by.starts_with("index (at) where published")));
        // Led by one of its equality columns: found, then filtered.
        assert!(matches!(get("topic_author").2, Served::Partly(ref by) if by.starts_with("index (author, at desc)")));
    }
}
