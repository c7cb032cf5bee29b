//! The pure half of `schemac analyze`: each workload query as PostgreSQL
//! SQL with its `$parameters` bound to values drawn from the loaded data,
//! EXPLAIN's JSON read into a summary (plan shape, the indexes and
//! sequential scans it uses, estimated and actual rows, buffers, time), and
//! the verdict against what the performance report claims.
//!
//! Parameters are bound the way the cost model (`estimate`) assumes the
//! query is run: `col == $p` with a value the table holds, `col > $p` with
//! the value 10% of the rows exceed (the model's range share), `col < $p`
//! with the one 10% fall below, `between $a and $b` with the 45th and 55th
//! percentiles, `like $p` with the first characters of a value and `%`.
//!
//! No I/O here: the CLI (`cli/analyze.rs`) runs what this module writes.

use std::collections::BTreeMap;

use serde_json::Value;

use super::estimate::RANGE_FRACTION;
use crate::backends::postgres::expr::{self, Scope};
use crate::backends::postgres::quote;
use crate::semantic::ir::{BinaryOp, Entity, Expr, Ir, Query};

/// How a parameter's value is drawn from the column it is compared with.
#[derive(Debug, Clone, PartialEq)]
pub enum Pick {
    /// A value the table holds (the `nth` distinct one asked for).
    Present { nth: usize },
    /// The value at this fraction of the column's sorted values.
    Percentile(f64),
    /// The first characters of a value, then `%`.
    Prefix,
}

/// One `$parameter`, the column it meets, and how to choose its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub param: String,
    /// The column's name in the table.
    pub column: String,
    pub pick: Pick,
}

/// The parameters of `query` and how to bind each; the names of parameters
/// that meet no single column (they cannot be bound) come second.
pub fn bindings(entity: &Entity, query: &Query) -> (Vec<Binding>, Vec<String>) {
    let mut found: Vec<Binding> = Vec::new();
    let column = |e: &Expr| match e {
        Expr::Column { name } => Some(entity.column_of(name)),
        _ => None,
    };
    let param = |e: &Expr| match e {
        Expr::Param { name } => Some(name.clone()),
        _ => None,
    };
    let add = |found: &mut Vec<Binding>, param: String, column: String, pick: Pick| {
        if !found.iter().any(|b| b.param == param) {
            found.push(Binding { param, column, pick });
        }
    };
    if let Some(filter) = &query.filter {
        filter.visit(&mut |e| match e {
            Expr::Binary { op, left, right } => {
                let (col, p, flipped) = match (column(left), param(right), column(right), param(left)) {
                    (Some(c), Some(p), _, _) => (c, p, false),
                    (_, _, Some(c), Some(p)) => (c, p, true),
                    _ => return,
                };
                let pick = match (op, flipped) {
                    (BinaryOp::Gt | BinaryOp::Ge, false) | (BinaryOp::Lt | BinaryOp::Le, true) => {
                        Pick::Percentile(1.0 - RANGE_FRACTION)
                    }
                    (BinaryOp::Lt | BinaryOp::Le, false) | (BinaryOp::Gt | BinaryOp::Ge, true) => {
                        Pick::Percentile(RANGE_FRACTION)
                    }
                    (BinaryOp::Like | BinaryOp::ILike, _) => Pick::Prefix,
                    _ => Pick::Present { nth: 0 },
                };
                add(&mut found, p, col, pick);
            }
            Expr::Between { expr, low, high, negated: false } => {
                if let Some(col) = column(expr) {
                    let half = RANGE_FRACTION / 2.0;
                    if let Some(p) = param(low) {
                        add(&mut found, p, col.clone(), Pick::Percentile(0.5 - half));
                    }
                    if let Some(p) = param(high) {
                        add(&mut found, p, col, Pick::Percentile(0.5 + half));
                    }
                }
            }
            Expr::InList { expr, list, .. } => {
                if let Some(col) = column(expr) {
                    for (nth, item) in list.iter().enumerate() {
                        if let Some(p) = param(item) {
                            add(&mut found, p, col.clone(), Pick::Present { nth });
                        }
                    }
                }
            }
            _ => {}
        });
    }
    let mut unbound = Vec::new();
    let mut all = |e: &Expr| {
        if let Expr::Param { name } = e {
            if !found.iter().any(|b| &b.param == name) && !unbound.contains(name) {
                unbound.push(name.clone());
            }
        }
    };
    if let Some(filter) = &query.filter {
        filter.visit(&mut all);
    }
    for key in &query.order_by {
        key.expr.visit(&mut all);
    }
    (found, unbound)
}

/// SQL returning the value `binding` asks for, as text (NULL when the
/// table has none).
pub fn value_sql(schema: &str, table: &str, binding: &Binding) -> String {
    let t = quote::qualified(schema, table);
    let c = quote::ident(&binding.column);
    match binding.pick {
        // The middle of the table: away from the first rows loaded.
        Pick::Present { nth } => format!(
            "SELECT {c}::text FROM {t} WHERE {c} IS NOT NULL \
             OFFSET (SELECT count(*) / 2 FROM {t}) + {nth} LIMIT 1"
        ),
        Pick::Percentile(at) => {
            format!("SELECT (percentile_disc({at}) WITHIN GROUP (ORDER BY {c}))::text FROM {t}")
        }
        Pick::Prefix => format!(
            "SELECT left({c}::text, 4) || '%' FROM {t} WHERE {c} IS NOT NULL \
             OFFSET (SELECT count(*) / 2 FROM {t}) LIMIT 1"
        ),
    }
}

/// The query as one SELECT, parameters replaced by their values (quoted
/// literals, which PostgreSQL types by the column they meet). Joins read the
/// related rows of the rows the query selects: the query becomes a subquery
/// `q`, each joined entity a LEFT JOIN named by its navigation.
pub fn query_sql(schema: &str, entity: &Entity, query: &Query, values: &BTreeMap<String, String>, ir: &Ir) -> String {
    let base = base_sql(schema, entity, query, values);
    if query.joins.is_empty() {
        return base;
    }
    let mut sql = format!("SELECT * FROM ({base}) AS q");
    for join in &query.joins {
        let Some(other) = ir.entity(&join.entity) else { continue };
        let alias = quote::ident(&join.navigation);
        let on: Vec<String> = join
            .on
            .iter()
            .map(|(here, there)| {
                format!(
                    "{alias}.{} = q.{}",
                    quote::ident(&other.column_of(there)),
                    quote::ident(&entity.column_of(here))
                )
            })
            .collect();
        sql.push_str(&format!(
            " LEFT JOIN {} AS {alias} ON {}",
            quote::qualified(schema, &other.table),
            on.join(" AND ")
        ));
    }
    sql
}

fn base_sql(schema: &str, entity: &Entity, query: &Query, values: &BTreeMap<String, String>) -> String {
    let scope = Scope { schema, entity: Some(entity), domain_value: false };
    let bind = |e: &Expr| {
        let mut e = e.clone();
        e.visit_mut(&mut |x| {
            if let Expr::Param { name } = x {
                *x = values.get(name.as_str()).map_or(Expr::Null, |v| Expr::String { value: v.clone() });
            }
        });
        e
    };
    let columns = if query.select.is_empty() {
        "*".to_string()
    } else {
        let mut names: Vec<String> = query.select.iter().map(|c| entity.column_of(c)).collect();
        // A join needs the columns it matches on.
        for (here, _) in query.joins.iter().flat_map(|j| &j.on) {
            let column = entity.column_of(here);
            if !names.contains(&column) {
                names.push(column);
            }
        }
        quote::ident_list(&names)
    };
    let mut sql = format!("SELECT {columns} FROM {}", quote::qualified(schema, &entity.table));
    if let Some(filter) = &query.filter {
        sql.push_str(&format!(" WHERE {}", expr::print(&bind(filter), &scope)));
    }
    if !query.order_by.is_empty() {
        let keys: Vec<String> = query
            .order_by
            .iter()
            .map(|k| expr::print(&bind(&k.expr), &scope) + if k.descending { " DESC" } else { "" })
            .collect();
        sql.push_str(&format!(" ORDER BY {}", keys.join(", ")));
    }
    if let Some(limit) = query.limit {
        sql.push_str(&format!(" LIMIT {limit}"));
    }
    sql
}

/// What one EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) says.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Summary {
    /// `Limit → Index Scan Backward using order_customer_id_idx on order`.
    pub shape: String,
    /// Indexes read, in plan order.
    pub indexes: Vec<String>,
    /// Tables (or partitions) read by a sequential scan.
    pub sequential: Vec<String>,
    pub estimated_rows: f64,
    pub actual_rows: f64,
    /// Shared buffers hit or read: the pages the query touched.
    pub buffers: u64,
    pub milliseconds: f64,
}

/// Reads EXPLAIN's JSON document (the array PostgreSQL returns).
pub fn summarize(document: &Value) -> Option<Summary> {
    let top = document.get(0)?;
    let plan = top.get("Plan")?;
    let mut summary = Summary {
        estimated_rows: plan.get("Plan Rows").and_then(Value::as_f64).unwrap_or(0.0),
        actual_rows: plan.get("Actual Rows").and_then(Value::as_f64).unwrap_or(0.0)
            * plan.get("Actual Loops").and_then(Value::as_f64).unwrap_or(1.0),
        buffers: ["Shared Hit Blocks", "Shared Read Blocks"]
            .iter()
            .map(|k| plan.get(*k).and_then(Value::as_u64).unwrap_or(0))
            .sum(),
        milliseconds: top.get("Execution Time").and_then(Value::as_f64).unwrap_or(0.0),
        ..Summary::default()
    };
    let mut shape = Vec::new();
    walk(plan, &mut summary, &mut shape);
    summary.shape = shape.join(" → ");
    Some(summary)
}

fn walk(node: &Value, summary: &mut Summary, shape: &mut Vec<String>) {
    let text = |key: &str| node.get(key).and_then(Value::as_str);
    let kind = text("Node Type").unwrap_or("?");
    let mut step = kind.to_string();
    if text("Scan Direction") == Some("Backward") {
        step.push_str(" Backward");
    }
    if let Some(index) = text("Index Name") {
        step.push_str(&format!(" using {index}"));
        summary.indexes.push(index.to_string());
    }
    if let Some(relation) = text("Relation Name") {
        step.push_str(&format!(" on {relation}"));
        if kind == "Seq Scan" {
            summary.sequential.push(relation.to_string());
        }
    }
    let children = node.get("Plans").and_then(Value::as_array);
    // Many partitions read alike: say how many once.
    match children {
        Some(children) if kind == "Append" || kind == "Merge Append" => {
            shape.push(format!("{step} of {}", children.len()));
            let mut inner = Vec::new();
            for child in children {
                let mut one = Vec::new();
                walk(child, summary, &mut one);
                let one = one.join(" → ");
                if !inner.contains(&one) {
                    inner.push(one);
                }
            }
            shape.push(format!("[{}]", inner.join(" | ")));
        }
        Some(children) => {
            shape.push(step);
            for child in children {
                walk(child, summary, shape);
            }
        }
        None => shape.push(step),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(source: &str) -> crate::driver::Compilation {
        let c = crate::driver::compile_str("t.schema", source);
        assert!(!c.has_errors(), "{:?}", c.diagnostics);
        c
    }

    const SHOP: &str = "entity Customer {\n  id bigint = identity primary\n}\n\
        entity Order {\n  id bigint = identity primary\n  placed_at timestamptz\n  code text\n  total int\n}\n\
        relation Order.customer -> Customer.orders { required }\n";

    #[test]
    fn parameters_bind_by_how_they_are_compared() {
        let c = compile(&format!(
            "{SHOP}workload w {{\n  query q: Order where customer == $c and placed_at > $since and total between $lo and $hi \
             and code like $p select (id, total) order by placed_at desc limit 5\n}}\n"
        ));
        let (order, query) = (c.ir.entity("Order").unwrap(), &c.ir.queries[0]);
        let (bound, unbound) = bindings(order, query);
        let picks: Vec<(&str, &str, Pick)> =
            bound.iter().map(|b| (b.param.as_str(), b.column.as_str(), b.pick.clone())).collect();
        assert_eq!(
            picks,
            [
                ("c", "customer_id", Pick::Present { nth: 0 }),
                ("since", "placed_at", Pick::Percentile(0.9)),
                ("lo", "total", Pick::Percentile(0.45)),
                ("hi", "total", Pick::Percentile(0.55)),
                ("p", "code", Pick::Prefix),
            ]
        );
        assert!(unbound.is_empty());
        let values: BTreeMap<String, String> =
            [("c", "7"), ("since", "2026-01-01"), ("lo", "10"), ("hi", "20"), ("p", "ab%")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        assert_eq!(
            query_sql("public", order, query, &values, &c.ir),
            "SELECT id, total FROM public.\"order\" WHERE (((customer_id = '7') AND (placed_at > '2026-01-01')) \
             AND (total >= '10' AND total <= '20')) AND (code LIKE 'ab%') ORDER BY placed_at DESC LIMIT 5"
        );
    }

    #[test]
    fn explain_json_becomes_a_shape_with_its_indexes_and_scans() {
        let document: Value = serde_json::from_str(
            r#"[{"Plan": {"Node Type": "Limit", "Plan Rows": 5, "Actual Rows": 5, "Actual Loops": 1,
                 "Shared Hit Blocks": 7, "Shared Read Blocks": 1,
                 "Plans": [{"Node Type": "Index Scan", "Scan Direction": "Backward",
                            "Index Name": "order_customer_id_placed_at_idx", "Relation Name": "order"}]},
                "Execution Time": 0.05}]"#,
        )
        .unwrap();
        let s = summarize(&document).unwrap();
        assert_eq!(s.shape, "Limit → Index Scan Backward using order_customer_id_placed_at_idx on order");
        assert_eq!((s.buffers, s.indexes.len(), s.sequential.len()), (8, 1, 0));
        let seq: Value = serde_json::from_str(
            r#"[{"Plan": {"Node Type": "Append", "Plans": [
                 {"Node Type": "Seq Scan", "Relation Name": "event_p1"},
                 {"Node Type": "Seq Scan", "Relation Name": "event_p2"}]}, "Execution Time": 1}]"#,
        )
        .unwrap();
        let s = summarize(&seq).unwrap();
        assert_eq!(s.shape, "Append of 2 → [Seq Scan on event_p1 | Seq Scan on event_p2]");
        assert_eq!(s.sequential, ["event_p1", "event_p2"]);
    }
}
