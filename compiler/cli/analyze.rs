//! `schemac analyze --pg URL`: checks the performance report on a real
//! server. Builds the project, creates a scratch database, applies the
//! schema, loads synthetic data at `--scale` of the declared volumes
//! (`performance::synthetic`), runs VACUUM ANALYZE, then runs every workload
//! query under EXPLAIN (ANALYZE, BUFFERS) with parameters drawn from the
//! data (`performance::explain`).
//!
//! It fails (exit 1) when a query the report says is served by an index —
//! and that the cost model says PostgreSQL should read through it at the
//! loaded size — is read with a sequential scan, or when, without the
//! advised indexes, an advised query reads fewer than half the pages times
//! the margin the model predicts. It also compares the storage estimate with
//! `pg_total_relation_size`. The scratch database is dropped afterwards
//! unless `--keep`; the database the URL names is never touched.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::PathBuf;
use std::time::Instant;

use postgres::Client;
use serde_json::{json, Value};

use super::database::{self, connect};
use super::report::Reporter;
use super::UsageError;
use crate::backends::postgres::render::Renderer;
use crate::backends::postgres::{quote, Catalog};
use crate::diagnostics::render::Format;
use crate::performance::access_path::{self, Access, Served, Source};
use crate::performance::estimate::{self, Cost};
use crate::performance::{explain, storage, synthetic};
use crate::semantic::ir::{Entity, Ir, Origin};

pub struct Args {
    pub path: Option<PathBuf>,
    pub pg: String,
    pub scale: f64,
    pub max_rows: Option<u64>,
    pub no_advice: bool,
    pub keep: bool,
}

/// Measured margins may fall short of the predicted ones by this factor.
const MARGIN_TOLERANCE: f64 = 2.0;
/// Up to this many query rows, joined rows are looked up one by one.
const JOIN_LOOKUPS: f64 = 100.0;
/// Storage is compared for tables the estimate puts at 1 MiB or more:
/// below, fixed per-relation pages dominate.
const STORAGE_FLOOR: u64 = 1 << 20;

/// One query's run.
struct Run {
    query: String,
    entity: String,
    sql: String,
    summary: Option<explain::Summary>,
    /// The index the report says serves it, by its name in the database.
    claimed: Option<String>,
    /// The model says an index read beats a scan at the loaded size.
    pays: bool,
    cost: Cost,
    verdict: Verdict,
    /// Advised for this query: the comparison without the advice.
    without: Option<Without>,
}

struct Without {
    buffers: u64,
    milliseconds: f64,
    shape: String,
    predicted: f64,
    measured: f64,
}

#[derive(Debug, Clone, PartialEq)]
enum Verdict {
    Served,
    /// Not claimed to be indexed (or the table is too small at this scale).
    NotClaimed(String),
    Failed(String),
    Skipped(String),
}

pub fn run(args: Args, reporter: &Reporter) -> Result<bool, UsageError> {
    if !(args.scale > 0.0 && args.scale <= 1.0) {
        return Err(UsageError(format!("--scale must be above 0 and at most 1 (got {})", args.scale)));
    }
    let advise = !args.no_advice;
    // JSON output is one document: the diagnostics go into it.
    let json = reporter.format == Format::Json;
    let built = super::build::produce_adjusted(args.path.clone(), false, reporter, !json, &|o, _| {
        o.passes.advise_indexes = advise;
    })?;
    let Some((loaded, output, diagnostics)) = built else { return Ok(false) };
    let diagnostics_json: Value =
        serde_json::from_str(&crate::diagnostics::render::json(&loaded.compilation.sources, &diagnostics))
            .unwrap_or_default();
    if diagnostics.iter().any(|d| d.is_error()) {
        if json {
            super::out(
                &(serde_json::to_string_pretty(&json!({ "diagnostics": diagnostics_json })).expect("serializes")
                    + "\n"),
            );
        }
        reporter.status("analyze stopped: the schema has errors");
        return Ok(false);
    }
    let (Some(catalog), Some(sql)) =
        (output.postgres.clone(), output.artifacts.iter().find(|a| a.path == "postgres/schema.sql"))
    else {
        return Err(UsageError("postgres is not a target of this project ([build] targets in schemac.toml)".into()));
    };
    // The same schema without the advice: what the advised queries are compared with.
    let plain = if advise {
        let quiet = Reporter { format: reporter.format, quiet: true };
        super::build::produce_adjusted(args.path.clone(), false, &quiet, false, &|o, _| {
            o.passes.advise_indexes = false
        })?
        .and_then(|(l, o, _)| o.postgres.map(|c| (l.compilation.ir, c)))
    } else {
        None
    };
    let ir = &loaded.compilation.ir;
    let name = loaded.project.as_ref().map_or("file".to_string(), |p| p.name.clone());
    let config = database::config(&args.pg)?;
    let mut admin = connect(&config, "the server")?;
    let started = Instant::now();
    let ((runs, storage_rows, load_notes, rows_loaded), _) =
        super::verify::in_scratch(&mut admin, &config, "analyze", args.keep, reporter, |client| {
            client.batch_execute(&sql.contents).map_err(|e| db_error("PostgreSQL refused the generated schema", &e))?;
            let plan = match args.max_rows {
                Some(max) => synthetic::plan_capped(ir, &catalog, args.scale, max),
                None => synthetic::plan(ir, &catalog, args.scale),
            };
            let loaded = synthetic::load(client, &plan.steps)
                .map_err(|e| UsageError(format!("loading synthetic data failed: {e}")))?;
            let mut notes = plan.notes.clone();
            notes.extend(loaded.iter().filter(|l| l.short()).map(|l| {
                format!(
                    "{} got {} of {} planned rows (checks or keys rejected the rest)",
                    l.table, l.inserted, l.planned
                )
            }));
            client.batch_execute("VACUUM ANALYZE").map_err(|e| db_error("VACUUM ANALYZE failed", &e))?;
            let rows: BTreeMap<String, f64> = loaded.iter().map(|l| (l.table.clone(), l.inserted as f64)).collect();
            let total: u64 = loaded.iter().map(|l| l.inserted).sum();
            let mut runs = run_queries(client, ir, &catalog, &rows)?;
            if let Some((plain_ir, plain_catalog)) = &plain {
                compare_without_advice(client, ir, &catalog, plain_ir, plain_catalog, &rows, &mut runs)?;
            }
            let storage = storage_rows(client, ir, &catalog.schema, &rows)?;
            Ok((runs, storage, notes, total))
        })?;
    let elapsed = started.elapsed().as_secs_f64();
    let failed = runs.iter().any(|r| matches!(r.verdict, Verdict::Failed(_)));
    if json {
        let mut document = json_report(&name, args.scale, &runs, &storage_rows, &load_notes);
        document["diagnostics"] = diagnostics_json;
        super::out(&(serde_json::to_string_pretty(&document).expect("serializes") + "\n"));
    } else {
        let mut text = format!(
            "analyze {name} on PostgreSQL at scale {}: {} rows of synthetic data, {:.1} s{}\n",
            args.scale,
            storage::thousands(rows_loaded),
            elapsed,
            if advise { "" } else { " (without index advice)" }
        );
        for note in &load_notes {
            let _ = writeln!(text, "  note: {note}");
        }
        text.push_str(&render(&runs, &storage_rows));
        super::out(&text);
    }
    if failed {
        eprintln!("analyze failed: the report claims more than PostgreSQL does (see above)");
    }
    Ok(!failed)
}

fn db_error(what: &str, e: &postgres::Error) -> UsageError {
    let detail = e.as_db_error().map_or(String::new(), |d| format!(": {}", d.message()));
    UsageError(format!("{what}: {e}{detail}"))
}

/// A table or index and its partitions (their names without schema), with
/// how many pages each holds.
fn tree(client: &mut Client, schema: &str, relation: &str) -> Result<BTreeMap<String, i64>, UsageError> {
    // pg_partition_tree lists nothing for a relation that is not partitioned.
    let sql = format!(
        "WITH r AS (SELECT {}::regclass AS oid) \
         SELECT c.relname::text, c.relpages::bigint FROM r, pg_class c \
         WHERE c.oid = r.oid OR c.oid IN (SELECT relid FROM pg_partition_tree(r.oid))",
        quote::literal(&quote::qualified(schema, relation))
    );
    let rows = client.query(&sql, &[]).map_err(|e| db_error("cannot list partitions", &e))?;
    Ok(rows.iter().map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1))).collect())
}

fn run_queries(
    client: &mut Client,
    ir: &Ir,
    catalog: &Catalog,
    rows: &BTreeMap<String, f64>,
) -> Result<Vec<Run>, UsageError> {
    let rows_of = |e: &Entity| loaded_rows(rows, e);
    let mut runs = Vec::new();
    for access in access_path::analyse(ir) {
        let Some(entity) = ir.entity(&access.query.entity) else { continue };
        let cost = estimate::cost_with(ir, entity, &access, access.covered(entity), &rows_of);
        let claimed = match &access.served {
            Served::Fully(path) => Some(index_name(catalog, entity, path.source)),
            _ => None,
        };
        let pays = cost.index_pays();
        let mut run = Run {
            query: access.query.name.clone(),
            entity: entity.name.clone(),
            sql: String::new(),
            summary: None,
            claimed,
            pays,
            cost,
            verdict: Verdict::Served,
            without: None,
        };
        let (bindings, unbound) = explain::bindings(entity, access.query);
        if !unbound.is_empty() {
            run.verdict = Verdict::Skipped(format!("cannot bind ${}: it meets no single column", unbound.join(", $")));
            runs.push(run);
            continue;
        }
        let mut values = BTreeMap::new();
        for b in &bindings {
            let value: Option<String> = client
                .query_opt(&explain::value_sql(&catalog.schema, &entity.table, b), &[])
                .map_err(|e| db_error("cannot draw a parameter value", &e))?
                .and_then(|r| r.get(0));
            values.insert(b.param.clone(), value.unwrap_or_default());
        }
        run.sql = explain::query_sql(&catalog.schema, entity, access.query, &values, ir);
        let summary = explain_query(client, &run.sql)?;
        // Scanning an empty partition costs nothing: only tables holding pages count.
        let tables: BTreeSet<String> = tree(client, &catalog.schema, &entity.table)?
            .into_iter()
            .filter(|(_, pages)| *pages > 0)
            .map(|(name, _)| name)
            .collect();
        // A partitioned index is read through its partitions' indexes.
        let claimed: BTreeSet<String> = match &run.claimed {
            Some(index) => tree(client, &catalog.schema, index)?.into_keys().collect(),
            None => BTreeSet::new(),
        };
        run.verdict = verdict(&run, &summary, &tables, &claimed);
        // Joined rows of a few query rows are looked up by key or index, not scanned.
        if run.verdict == Verdict::Served && run.cost.read <= JOIN_LOOKUPS {
            for join in &access.query.joins {
                let Some(joined) = ir.entity(&join.entity) else { continue };
                let columns: Vec<String> = join.on.iter().map(|(_, there)| there.clone()).collect();
                if join.many && !crate::passes::is_led_by_index(joined, &columns) {
                    continue;
                }
                let pages = tree(client, &catalog.schema, &joined.table)?;
                let scanned = summary.sequential.iter().find(|t| pages.get(*t).is_some_and(|p| *p > 1));
                if let Some(table) = scanned {
                    run.verdict = Verdict::Failed(format!(
                        "the report says `{}` is joined by key or index, but PostgreSQL scanned {table}",
                        join.navigation
                    ));
                }
            }
        }
        run.summary = Some(summary);
        runs.push(run);
    }
    Ok(runs)
}

/// The rows loaded into an entity's table (the declared volume when unknown).
fn loaded_rows(rows: &BTreeMap<String, f64>, entity: &Entity) -> f64 {
    rows.get(&entity.table).copied().unwrap_or_else(|| estimate::rows(entity, 1.0))
}

fn verdict(run: &Run, summary: &explain::Summary, tables: &BTreeSet<String>, claimed: &BTreeSet<String>) -> Verdict {
    let scanned = summary.sequential.iter().any(|t| tables.contains(t));
    let used_claimed = summary.indexes.iter().any(|i| claimed.contains(i));
    match (&run.claimed, run.pays) {
        (None, _) => Verdict::NotClaimed("the report does not claim an index serves it".into()),
        (Some(_), false) => Verdict::NotClaimed(format!(
            "at {} rows a scan costs about as much as the index, so either is right",
            storage::thousands(run.cost.rows as u64)
        )),
        (Some(claimed), true) if scanned => {
            Verdict::Failed(format!("the report says {claimed} serves it, but PostgreSQL scanned the table"))
        }
        (Some(claimed), true) if !used_claimed => Verdict::Failed(format!(
            "the report says {claimed} serves it, but PostgreSQL used {}",
            if summary.indexes.is_empty() { "no index".to_string() } else { summary.indexes.join(", ") }
        )),
        (Some(_), true) => Verdict::Served,
    }
}

/// EXPLAIN (ANALYZE, BUFFERS) of `sql`, after one run to warm the cache;
/// the fastest of three runs.
fn explain_query(client: &mut Client, sql: &str) -> Result<explain::Summary, UsageError> {
    client.batch_execute(sql).map_err(|e| db_error(&format!("the query failed: {sql}"), &e))?;
    let mut best: Option<explain::Summary> = None;
    for _ in 0..3 {
        // The simple protocol hands the json document over as text.
        let messages = client
            .simple_query(&format!("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}"))
            .map_err(|e| db_error(&format!("EXPLAIN failed: {sql}"), &e))?;
        let text = messages.iter().find_map(|m| match m {
            postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
            _ => None,
        });
        let document: Value = text.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or(Value::Null);
        let summary = explain::summarize(&document)
            .ok_or_else(|| UsageError(format!("EXPLAIN returned an unexpected document for {sql}")))?;
        if best.as_ref().is_none_or(|b| summary.milliseconds < b.milliseconds) {
            best = Some(summary);
        }
    }
    Ok(best.expect("three runs"))
}

/// The database name of the key or index a path stands for.
fn index_name(catalog: &Catalog, entity: &Entity, source: Source) -> String {
    let table = catalog.table(&entity.table);
    let columns = |names: &[String]| -> Vec<String> { names.iter().map(|c| entity.column_of(c)).collect() };
    match source {
        Source::PrimaryKey => table.and_then(|t| t.primary_key.as_ref()).map_or(String::new(), |k| k.name.clone()),
        Source::Unique(i) => {
            let wanted = columns(&entity.uniques[i].columns);
            let quoted: Vec<String> = wanted.iter().map(|c| quote::ident(c)).collect();
            table
                .and_then(|t| t.uniques.iter().find(|k| k.columns == wanted))
                .map(|k| k.name.clone())
                .or_else(|| {
                    catalog
                        .indexes
                        .iter()
                        .find(|x| x.table == entity.table && x.unique && x.keys == quoted)
                        .map(|x| x.name.clone())
                })
                .unwrap_or_default()
        }
        // The backend writes an entity's indexes in order, after its partial uniques.
        Source::Index(i) => catalog
            .indexes
            .iter()
            .filter(|x| x.table == entity.table && !x.unique)
            .nth(i)
            .map_or(String::new(), |x| x.name.clone()),
    }
}

/// Swaps the advised indexes for the ones the schema has without advice,
/// reruns the queries the advice serves, and compares pages read with the
/// margin the model predicts.
fn compare_without_advice(
    client: &mut Client,
    ir: &Ir,
    catalog: &Catalog,
    plain_ir: &Ir,
    plain: &Catalog,
    rows: &BTreeMap<String, f64>,
    runs: &mut [Run],
) -> Result<(), UsageError> {
    let advised: BTreeSet<&str> = ir
        .entities
        .iter()
        .flat_map(|e| &e.indexes)
        .filter_map(|i| match &i.origin {
            Origin::Query { queries } => Some(queries.iter().map(String::as_str)),
            _ => None,
        })
        .flatten()
        .collect();
    if advised.is_empty() {
        return Ok(());
    }
    let names = |c: &Catalog| c.indexes.iter().map(|i| i.name.clone()).collect::<BTreeSet<_>>();
    let (with, without) = (names(catalog), names(plain));
    let r = Renderer { schema: &catalog.schema };
    let mut swap = String::new();
    for index in catalog.indexes.iter().filter(|i| !without.contains(&i.name)) {
        let _ = writeln!(swap, "DROP INDEX {};", quote::qualified(&catalog.schema, &index.name));
    }
    for index in plain.indexes.iter().filter(|i| !with.contains(&i.name)) {
        let _ = writeln!(swap, "{};", r.index_statement(index));
    }
    swap.push_str("ANALYZE;\n");
    client.batch_execute(&swap).map_err(|e| db_error("cannot swap the advised indexes out", &e))?;
    let rows_of = |e: &Entity| loaded_rows(rows, e);
    let plain_accesses = access_path::analyse(plain_ir);
    for run in runs.iter_mut().filter(|r| advised.contains(r.query.as_str()) && !r.sql.is_empty()) {
        let (Some(with), Some(access), Some(entity)) = (
            run.summary.as_ref(),
            plain_accesses.iter().find(|a| a.query.name == run.query),
            plain_ir.entity(&run.entity),
        ) else {
            continue;
        };
        let summary = explain_query(client, &run.sql)?;
        let cost = estimate::cost_with(plain_ir, entity, access, false, &rows_of);
        let pages_without = pages_now(access, &cost);
        let predicted = pages_without / run.cost.index_pages.max(1.0);
        let measured = summary.buffers as f64 / with.buffers.max(1) as f64;
        if run.verdict == Verdict::Served && measured * MARGIN_TOLERANCE < predicted {
            run.verdict = Verdict::Failed(format!(
                "without its advised index it read {measured:.1}× the pages; the report predicts {predicted:.1}×"
            ));
        }
        run.without = Some(Without {
            buffers: summary.buffers,
            milliseconds: summary.milliseconds,
            shape: summary.shape,
            predicted,
            measured,
        });
    }
    Ok(())
}

/// Pages a query reads the way it is served now.
fn pages_now(access: &Access, cost: &Cost) -> f64 {
    let pages = match &access.served {
        Served::Fully(_) => cost.index_pages,
        Served::Partly(_) => cost.lead.map_or(cost.full_scan_pages, |(_, pages)| pages),
        Served::No => cost.full_scan_pages,
    };
    // PostgreSQL scans instead when that is cheaper.
    pages.min(cost.full_scan_pages)
}

/// (entity, rows, estimated bytes, actual bytes) for every entity table.
type StorageRow = (String, u64, u64, u64);

fn storage_rows(
    client: &mut Client,
    ir: &Ir,
    schema: &str,
    rows: &BTreeMap<String, f64>,
) -> Result<Vec<StorageRow>, UsageError> {
    let mut out = Vec::new();
    for entity in &ir.entities {
        let Some(&loaded) = rows.get(&entity.table) else { continue };
        let sql = format!(
            "WITH r AS (SELECT {}::regclass AS oid) \
             SELECT sum(pg_total_relation_size(c.oid))::bigint FROM r, pg_class c \
             WHERE c.oid = r.oid OR c.oid IN (SELECT relid FROM pg_partition_tree(r.oid))",
            quote::literal(&quote::qualified(schema, &entity.table))
        );
        let actual: i64 = client.query_one(&sql, &[]).map_err(|e| db_error("cannot measure the table", &e))?.get(0);
        let estimated = storage::bytes_at(ir, entity, loaded as u64);
        out.push((entity.name.clone(), loaded as u64, estimated, actual.max(0) as u64));
    }
    Ok(out)
}

fn render(runs: &[Run], storage_rows: &[StorageRow]) -> String {
    let mut out = String::new();
    for run in runs {
        let (mark, why) = match &run.verdict {
            Verdict::Served => ("ok", format!("served by {}", run.claimed.as_deref().unwrap_or("?"))),
            Verdict::NotClaimed(why) => ("--", why.clone()),
            Verdict::Failed(why) => ("FAIL", why.clone()),
            Verdict::Skipped(why) => ("skip", why.clone()),
        };
        let _ = writeln!(out, "\n{mark:<4} {} ({}): {why}", run.query, run.entity);
        if let Some(s) = &run.summary {
            let _ = writeln!(out, "     plan: {}", s.shape);
            let _ = writeln!(
                out,
                "     rows: {:.0} estimated by PostgreSQL, {:.0} returned, {:.0} expected by the report; {} pages; {:.3} ms",
                s.estimated_rows,
                s.actual_rows,
                run.cost.read,
                s.buffers,
                s.milliseconds
            );
        }
        if let Some(w) = &run.without {
            let _ = writeln!(
                out,
                "     without the advised index: {} pages ({:.1}× more, {:.1}× predicted); {:.3} ms; {}",
                w.buffers, w.measured, w.predicted, w.milliseconds, w.shape
            );
        }
    }
    let compared: Vec<&StorageRow> = storage_rows.iter().filter(|r| r.2 >= STORAGE_FLOOR).collect();
    if !compared.is_empty() {
        out.push_str("\nstorage: the report's estimate at the loaded rows against pg_total_relation_size\n");
        for (entity, rows, estimated, actual) in compared {
            let error = (*estimated as f64 - *actual as f64) / (*actual).max(1) as f64 * 100.0;
            let _ = writeln!(
                out,
                "  {entity:<24} {:>12} rows  estimate {:>9}  actual {:>9}  {error:+.0}%{}",
                storage::thousands(*rows),
                storage::human(*estimated),
                storage::human(*actual),
                if error.abs() > 25.0 { "  (more than 25% off)" } else { "" }
            );
        }
    }
    let count = |f: fn(&Verdict) -> bool| runs.iter().filter(|r| f(&r.verdict)).count();
    let _ = writeln!(
        out,
        "\n{} queries: {} served by the index the report names, {} not claimed, {} skipped, {} failed",
        runs.len(),
        count(|v| *v == Verdict::Served),
        count(|v| matches!(v, Verdict::NotClaimed(_))),
        count(|v| matches!(v, Verdict::Skipped(_))),
        count(|v| matches!(v, Verdict::Failed(_)))
    );
    out
}

fn json_report(name: &str, scale: f64, runs: &[Run], storage_rows: &[StorageRow], notes: &[String]) -> Value {
    let queries: Vec<Value> = runs
        .iter()
        .map(|r| {
            let (verdict, reason) = match &r.verdict {
                Verdict::Served => ("served", String::new()),
                Verdict::NotClaimed(why) => ("not_claimed", why.clone()),
                Verdict::Failed(why) => ("failed", why.clone()),
                Verdict::Skipped(why) => ("skipped", why.clone()),
            };
            json!({
                "query": r.query,
                "entity": r.entity,
                "sql": r.sql,
                "verdict": verdict,
                "reason": reason,
                "claimed_index": r.claimed,
                "expected_rows": r.cost.read,
                "plan": r.summary.as_ref().map(|s| json!({
                    "shape": s.shape,
                    "indexes": s.indexes,
                    "sequential_scans": s.sequential,
                    "estimated_rows": s.estimated_rows,
                    "actual_rows": s.actual_rows,
                    "buffers": s.buffers,
                    "milliseconds": s.milliseconds,
                })),
                "without_advice": r.without.as_ref().map(|w| json!({
                    "buffers": w.buffers,
                    "milliseconds": w.milliseconds,
                    "shape": w.shape,
                    "predicted_margin": w.predicted,
                    "measured_margin": w.measured,
                })),
            })
        })
        .collect();
    let storage: Vec<Value> = storage_rows
        .iter()
        .map(|(entity, rows, estimated, actual)| {
            json!({ "entity": entity, "rows": rows, "estimated_bytes": estimated, "actual_bytes": actual })
        })
        .collect();
    json!({ "project": name, "scale": scale, "notes": notes, "queries": queries, "storage": storage })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(claimed: Option<&str>, pays: bool) -> Run {
        let cost = Cost { rows: 1e5, matched: 10.0, read: 10.0, full_scan_pages: 2e3, index_pages: 14.0, lead: None };
        Run {
            query: "q".into(),
            entity: "Order".into(),
            sql: "SELECT 1".into(),
            summary: None,
            claimed: claimed.map(str::to_string),
            pays,
            cost,
            verdict: Verdict::Served,
            without: None,
        }
    }

    fn summary(indexes: &[&str], sequential: &[&str]) -> explain::Summary {
        explain::Summary {
            indexes: indexes.iter().map(|s| s.to_string()).collect(),
            sequential: sequential.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn a_claimed_index_must_be_the_one_read() {
        let tables: BTreeSet<String> = ["order".to_string()].into();
        let claimed: BTreeSet<String> = ["order_customer_idx".to_string()].into();
        let served =
            verdict(&run(Some("order_customer_idx"), true), &summary(&["order_customer_idx"], &[]), &tables, &claimed);
        assert_eq!(served, Verdict::Served);
        let scanned = verdict(&run(Some("order_customer_idx"), true), &summary(&[], &["order"]), &tables, &claimed);
        assert!(matches!(scanned, Verdict::Failed(ref why) if why.contains("scanned the table")), "{scanned:?}");
        let other = verdict(&run(Some("order_customer_idx"), true), &summary(&["order_pkey"], &[]), &tables, &claimed);
        assert!(matches!(other, Verdict::Failed(ref why) if why.contains("used order_pkey")), "{other:?}");
        // A scan of an empty partition (not among the tables holding pages) is no failure.
        let empty = verdict(
            &run(Some("order_customer_idx"), true),
            &summary(&["order_customer_idx"], &["order_p1"]),
            &tables,
            &claimed,
        );
        assert_eq!(empty, Verdict::Served);
        // Not claimed, or too small at this scale: listed, never failed.
        assert!(matches!(
            verdict(&run(None, true), &summary(&[], &["order"]), &tables, &claimed),
            Verdict::NotClaimed(_)
        ));
        assert!(matches!(
            verdict(&run(Some("order_customer_idx"), false), &summary(&[], &["order"]), &tables, &claimed),
            Verdict::NotClaimed(_)
        ));
    }
}
