//! For each workload query: the index that would serve it — equality
//! columns first, then the range column or the `order by` keys — and the
//! existing key or index that already does, if any.
//!
//! Reads the IR only (after the passes, so FK indexes count). It advises;
//! it does not add indexes to the schema.

use crate::semantic::ir::{BinaryOp, Entity, Expr, Index, IndexKey, IndexMethod, Ir, Origin, Query};

/// How a query reaches its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Access<'a> {
    pub query: &'a Query,
    /// Columns compared for equality (`==`, `in`), in the order written.
    pub equality: Vec<String>,
    /// Boolean columns tested as a whole (`where published`, `where not
    /// archived`): the column, and whether the test is negated.
    pub flags: Vec<(String, bool)>,
    /// The first column compared with `<`, `<=`, `>`, `>=` or `between`.
    pub range: Option<String>,
    /// When the range is a recent window (`at > now() - '30 days'`): its length in days.
    pub window_days: Option<f64>,
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
    Fully(Path),
    /// One leads with the equality columns only: rows are found, then sorted or filtered.
    Partly(Path),
    /// Nothing: every run reads the whole table.
    No,
}

/// An existing key or index, and how the report names it.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    /// `index (author, at desc), declared`.
    pub what: String,
    pub source: Source,
}

/// Where an access path lives on its entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    PrimaryKey,
    /// Position in `Entity::uniques`.
    Unique(usize),
    /// Position in `Entity::indexes`.
    Index(usize),
}

impl Access<'_> {
    /// The index that would serve the query fully, as the language writes it:
    /// `index (tenant_id, published_at desc) where published`.
    pub fn index_text(&self) -> String {
        let keys: Vec<String> =
            self.wanted.iter().map(|(c, desc)| if *desc { format!("{c} desc") } else { c.clone() }).collect();
        let mut text = format!("index ({})", keys.join(", "));
        if let Some(condition) = self.condition() {
            text.push_str(&format!(" where {}", crate::graph::text::expr_text(&condition)));
        }
        text
    }

    /// Whether the index serving the query holds every column the query reads.
    pub fn covered(&self, entity: &Entity) -> bool {
        let a = self;
        let Served::Fully(path) = &a.served else { return false };
        if a.query.select.is_empty() {
            return false;
        }
        let mut held: Vec<String> = match path.source {
            Source::PrimaryKey => entity.primary_key.clone(),
            Source::Unique(i) => entity.uniques[i].columns.clone(),
            Source::Index(i) => {
                let index = &entity.indexes[i];
                let mut held = index.include.clone();
                let mut column = |e: &Expr| {
                    if let Expr::Column { name } = e {
                        held.push(name.clone());
                    }
                };
                for key in &index.keys {
                    column(&key.expr);
                }
                // The condition's columns need not be read: every row in the index meets it.
                if let Some(predicate) = &index.predicate {
                    predicate.visit(&mut column);
                }
                held
            }
        };
        held.sort();
        let read = a.query.select.iter().chain(&a.equality).chain(a.flags.iter().map(|(c, _)| c)).chain(&a.range);
        read.into_iter().all(|c| held.binary_search(c).is_ok())
    }

    /// The flags the query tests, as the condition of a partial index.
    pub fn condition(&self) -> Option<Expr> {
        flags_condition(&self.flags)
    }

    /// Whether reading the wanted index in order returns the rows in the
    /// query's `order by` order (so a `limit` stops the scan early).
    pub fn order_served(&self) -> bool {
        !self.order.is_empty() && self.order.len() == self.query.order_by.len() && {
            let lead = self.equality.len();
            let tail: Vec<&(String, bool)> = self.order.iter().filter(|(c, _)| !self.equality.contains(c)).collect();
            self.wanted.len() >= lead + tail.len()
                && tail.iter().zip(&self.wanted[lead..]).all(|(o, w)| o.0 == w.0)
                && same_direction(tail.iter().map(|o| o.1), self.wanted[lead..].iter().map(|w| w.1))
        }
    }
}

/// Order keys read by an index whose keys have these directions: either all
/// the same, or all reversed (a backward scan).
pub fn same_direction(wanted: impl Iterator<Item = bool>, index: impl Iterator<Item = bool>) -> bool {
    let pairs: Vec<bool> = wanted.zip(index).map(|(a, b)| a == b).collect();
    pairs.iter().all(|&same| same) || pairs.iter().all(|&same| !same)
}

/// `published and not archived`.
pub fn flags_condition(flags: &[(String, bool)]) -> Option<Expr> {
    flags
        .iter()
        .map(|(name, negated)| {
            let column = Expr::Column { name: name.clone() };
            if *negated {
                Expr::Not { expr: Box::new(column) }
            } else {
                column
            }
        })
        .reduce(|left, right| Expr::Binary { op: BinaryOp::And, left: Box::new(left), right: Box::new(right) })
}

pub fn analyse(ir: &Ir) -> Vec<Access<'_>> {
    let mut accesses: Vec<Access> =
        ir.queries.iter().filter_map(|q| ir.entity(&q.entity).map(|e| access(e, q))).collect();
    accesses.sort_by(|a, b| a.query.name.cmp(&b.query.name));
    accesses
}

fn access<'a>(entity: &Entity, query: &'a Query) -> Access<'a> {
    let mut equality = Vec::new();
    let mut flags: Vec<(String, bool)> = Vec::new();
    let mut range = None;
    let mut window_days = None;
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
                Expr::Column { name } if is_bool(entity, name) => push_flag(&mut flags, name, false),
                Expr::Not { expr } => {
                    if let Expr::Column { name } = expr.as_ref() {
                        push_flag(&mut flags, name, true);
                    }
                }
                Expr::Binary { op: op @ (BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge), left, right } => {
                    if let (None, Some(c)) = (&range, column_against_value(left, right)) {
                        range = Some(c.to_string());
                        // `at > now() - '30 days'` (or `now() - '30 days' < at`).
                        let value = if matches!(left.as_ref(), Expr::Column { .. }) { right } else { left };
                        let newer = matches!(
                            (op, matches!(left.as_ref(), Expr::Column { .. })),
                            (BinaryOp::Gt | BinaryOp::Ge, true) | (BinaryOp::Lt | BinaryOp::Le, false)
                        );
                        window_days = recent_window(value).filter(|_| newer);
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
    let order = leading_keys(&query.order_by);
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
    Access { query, equality, flags, range, window_days, order, wanted, served }
}

/// The plain columns keys start with (up to the first expression), with
/// their directions.
fn leading_keys(keys: &[IndexKey]) -> Vec<(String, bool)> {
    keys.iter()
        .map_while(|k| match &k.expr {
            Expr::Column { name } => Some((name.clone(), k.descending)),
            _ => None,
        })
        .collect()
}

fn push_once(list: &mut Vec<String>, column: &str) {
    if !list.iter().any(|c| c == column) {
        list.push(column.to_string());
    }
}

fn push_flag(flags: &mut Vec<(String, bool)>, column: &str, negated: bool) {
    if !flags.iter().any(|(c, _)| c == column) {
        flags.push((column.to_string(), negated));
    }
}

fn is_bool(entity: &Entity, column: &str) -> bool {
    entity.field(column).is_some_and(|f| f.ty == crate::semantic::ir::Type::Bool)
}

/// `now() - '30 days'`: 30.
fn recent_window(value: &Expr) -> Option<f64> {
    let Expr::Binary { op: BinaryOp::Sub, left, right } = value else { return None };
    let (Expr::Call { function, .. }, Expr::String { value }) = (left.as_ref(), right.as_ref()) else {
        return None;
    };
    if function != "now" {
        return None;
    }
    let mut words = value.split_whitespace();
    let count: f64 = words.next()?.parse().ok()?;
    let unit = words.next()?.trim_end_matches('s');
    let days = match unit {
        "minute" | "min" => 1.0 / 1440.0,
        "hour" => 1.0 / 24.0,
        "day" => 1.0,
        "week" => 7.0,
        "month" | "mon" => 30.0,
        "year" => 365.0,
        _ => return None,
    };
    Some(count * days)
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

/// An access path, its keys with their directions, and its condition.
type Candidate<'e> = (Path, Vec<(String, bool)>, Option<&'e Expr>);

/// The best existing access: a key or btree index whose leading columns are
/// the equality and flag columns (in any order; a partial index stands for
/// the flags its condition tests), followed by the rest of `wanted` in the
/// same directions or all reversed. A partial index counts when the query
/// states every part of its condition word for word.
fn served(
    entity: &Entity,
    terms: &[&Expr],
    equality: &[String],
    flags: &[(String, bool)],
    wanted: &[(String, bool)],
) -> Served {
    let ascending = |columns: &[String]| columns.iter().map(|c| (c.clone(), false)).collect::<Vec<_>>();
    let mut candidates: Vec<Candidate> = Vec::new();
    if !entity.primary_key.is_empty() {
        let path = Path { what: "the primary key".into(), source: Source::PrimaryKey };
        candidates.push((path, ascending(&entity.primary_key), None));
    }
    for (i, unique) in entity.uniques.iter().enumerate() {
        let path = Path { what: format!("unique ({})", unique.columns.join(", ")), source: Source::Unique(i) };
        candidates.push((path, ascending(&unique.columns), unique.predicate.as_ref()));
    }
    for (i, index) in entity.indexes.iter().enumerate().filter(|(_, i)| i.method == IndexMethod::Btree) {
        let keys = leading_keys(&index.keys);
        candidates.push((Path { what: describe(index), source: Source::Index(i) }, keys, index.predicate.as_ref()));
    }
    let mut best = Served::No;
    for (path, keys, predicate) in candidates {
        // A partial index serves only queries that test its condition.
        let mut parts = Vec::new();
        if let Some(condition) = predicate {
            conjuncts(condition, &mut parts);
        }
        if !parts.iter().all(|part| terms.contains(part)) {
            continue;
        }
        let covered = |column: &str| {
            parts.iter().any(|part| match part {
                Expr::Column { name } => name == column,
                Expr::Not { expr } => matches!(expr.as_ref(), Expr::Column { name } if name == column),
                _ => false,
            })
        };
        let names: Vec<&String> = keys.iter().map(|(c, _)| c).collect();
        // A flag the index does not filter on may be among its leading keys.
        let lead: Vec<&String> =
            equality.iter().chain(flags.iter().map(|(f, _)| f).filter(|f| !covered(f) && names.contains(f))).collect();
        let leads_with_some = names.first().is_some_and(|k| lead.contains(k));
        if names.len() < lead.len() || !lead.iter().all(|c| names[..lead.len()].contains(c)) {
            if best == Served::No && leads_with_some {
                best = Served::Partly(path);
            }
            continue;
        }
        if lead.is_empty() && wanted.is_empty() {
            continue;
        }
        let rest: Vec<&(String, bool)> = wanted.iter().filter(|(c, _)| !lead.contains(&c) && !covered(c)).collect();
        let tail = &keys[lead.len()..];
        if tail.len() >= rest.len()
            && rest.iter().zip(tail).all(|(w, k)| w.0 == k.0)
            && same_direction(rest.iter().map(|w| w.1), tail.iter().map(|k| k.1))
        {
            return Served::Fully(path);
        }
        // Leading with some of the equality columns still narrows the rows.
        if best == Served::No && leads_with_some {
            best = Served::Partly(path);
        }
    }
    best
}

/// An index as the language writes it: `index (author, at desc) include
/// (title) where published`, and `using gin` for another method.
pub fn index_text(index: &Index) -> String {
    let keys: Vec<String> = index
        .keys
        .iter()
        .map(|k| crate::graph::text::expr_text(&k.expr) + if k.descending { " desc" } else { "" })
        .collect();
    let mut text = format!("index ({})", keys.join(", "));
    if !index.include.is_empty() {
        text.push_str(&format!(" include ({})", index.include.join(", ")));
    }
    if let Some(predicate) = &index.predicate {
        text.push_str(&format!(" where {}", crate::graph::text::expr_text(predicate)));
    }
    if index.method != IndexMethod::Btree {
        text.push_str(&format!(" using {:?}", index.method).to_lowercase());
    }
    text
}

fn describe(index: &Index) -> String {
    let text = index_text(index);
    let why = match &index.origin {
        Origin::Declared => "declared".to_string(),
        Origin::Pattern { pattern } => format!("from pattern {pattern}"),
        Origin::Relation { relation } => format!("for the foreign key of {}", relation.trim_start_matches("relation:")),
        Origin::Query { queries } => format!("advised for {}", Origin::query_list(queries)),
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
        assert!(
            matches!(served, Served::Fully(ref by) if by.what.starts_with("index (author, at desc)")),
            "{served:?}"
        );
        let (_, wanted, served) = get("by_topic");
        assert_eq!(wanted, [col("topic", false), col("at", false)]);
        assert_eq!(served, Served::No);
        assert!(matches!(get("by_slug").2, Served::Fully(ref by) if by.what == "unique (slug)"));
        // A partial index `where published` serves a query that tests the flag.
        assert!(matches!(get("recent").2, Served::Fully(ref by) if by.what.starts_with("index (at) where published")));
        // Led by one of its equality columns: found, then filtered.
        assert!(
            matches!(get("topic_author").2, Served::Partly(ref by) if by.what.starts_with("index (author, at desc)"))
        );
    }
}
