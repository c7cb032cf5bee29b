//! The report's advice beyond indexes: which large entities to partition
//! and how (range by time for append-mostly entities a query filters by
//! time, hash otherwise, with the key rule and a retention hint), the
//! denormalized fields and why they exist, and scalability notes (read
//! replicas, connection pooling, caching candidates, a sharding key).
//!
//! Reads the IR; writes Markdown. Advises; changes nothing.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::access_path::Access;
use super::storage::thousands;
use crate::semantic::ir::{BehaviourKind, Entity, Ir, PartitionKind, Type};

/// Rows from which an entity is worth partitioning.
pub const PARTITION_ROWS: u64 = 50_000_000;
/// A query this busy on an entity that grows this little a day is a cache candidate.
const CACHE_RATE: f64 = 200.0;
const CACHE_CHANGE: f64 = 0.005;
/// Rows one hash partition is sized for.
const ROWS_PER_HASH_PARTITION: u64 = 25_000_000;

pub fn partitioning(out: &mut String, ir: &Ir, accesses: &[Access]) {
    out.push_str("## Partitioning\n\n");
    let mut candidates = Vec::new();
    for entity in &ir.entities {
        let Some(volume) = &entity.volume else { continue };
        let yearly = volume.growth_per_day.unwrap_or(0) * 365;
        let within_a_year = volume.rows + yearly;
        let retention = volume.growth_per_day.filter(|g| *g > 0).map(|g| {
            format!(
                " Keeping 12 months holds about {} rows; older partitions can be detached (`DETACH PARTITION … CONCURRENTLY`) and dropped or archived instead of deleted row by row.",
                thousands(g * 365)
            )
        });
        if let Some(p) = &entity.partition {
            let kind = format!("{:?}", p.kind).to_lowercase();
            let mut line = format!("- `{}` is partitioned by {kind} on {}.", entity.name, p.columns.join(", "));
            if p.kind == PartitionKind::Range {
                line.push_str(retention.as_deref().unwrap_or(""));
            }
            candidates.push(line);
            continue;
        }
        if within_a_year < PARTITION_ROWS {
            continue;
        }
        let own: Vec<&Access> = accesses.iter().filter(|a| a.query.entity == entity.name).collect();
        let timed = own.iter().find_map(|a| {
            let column = a.range.as_ref()?;
            let time = entity
                .field(column)
                .is_some_and(|f| matches!(f.ty, Type::Timestamptz { .. } | Type::Timestamp { .. } | Type::Date));
            time.then(|| (a.query.name.clone(), column.clone()))
        });
        let size = thousands(within_a_year);
        match timed {
            Some((query, column)) => {
                let mut line = format!(
                    "- `{}` ({size} rows within a year): `partition by range ({column}) every 1 month` — `{query}` filters on `{column}`, so it reads only the partitions its window touches.",
                    entity.name
                );
                line.push_str(&key_rule(entity, &column));
                line.push_str(retention.as_deref().unwrap_or(""));
                candidates.push(line);
            }
            None => {
                let key = most_used_key(entity, &own);
                let partitions = within_a_year.div_ceil(ROWS_PER_HASH_PARTITION).next_power_of_two().max(4);
                let mut line = format!(
                    "- `{}` ({size} rows within a year): no query filters it by time, so hash partitioning spreads it evenly: `partition by hash ({key}) into {partitions} partitions`{}.",
                    entity.name,
                    if own.is_empty() { "" } else { " — the key its queries look up most" }
                );
                line.push_str(&key_rule(entity, &key));
                candidates.push(line);
            }
        }
    }
    if candidates.is_empty() {
        let _ = writeln!(
            out,
            "No entity reaches {} rows within a year: no partitioning needed.\n",
            thousands(PARTITION_ROWS)
        );
    } else {
        out.push_str(&candidates.join("\n"));
        out.push_str("\n\n");
    }
}

/// The partition key rule, naming the keys that would break it.
fn key_rule(entity: &Entity, column: &str) -> String {
    let widen = |columns: &[String]| format!("`({}, {column})`", columns.join(", "));
    let mut missing: Vec<String> = Vec::new();
    if !entity.primary_key.iter().any(|c| c == column) {
        missing.push(format!(
            "the primary key ({}) would become {}",
            entity.primary_key.join(", "),
            widen(&entity.primary_key)
        ));
    }
    for u in entity.uniques.iter().filter(|u| !u.columns.iter().any(|c| c == column)) {
        missing.push(format!("unique ({}) would become {}", u.columns.join(", "), widen(&u.columns)));
    }
    if missing.is_empty() {
        return String::new();
    }
    format!(
        " PostgreSQL enforces keys per partition, so every key must include `{column}`: {}. A key that must stay unique on its own columns needs enforcing elsewhere (a separate lookup table).",
        missing.join("; ")
    )
}

/// The column the entity's queries compare for equality most often (then
/// its first foreign key, then its primary key).
fn most_used_key(entity: &Entity, accesses: &[&Access]) -> String {
    let mut uses: BTreeMap<&str, usize> = BTreeMap::new();
    for a in accesses {
        for c in &a.equality {
            *uses.entry(c.as_str()).or_default() += 1;
        }
    }
    let best = uses.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(c, _)| c.to_string());
    best.or_else(|| entity.foreign_keys.first().and_then(|fk| fk.columns.first().cloned()))
        .unwrap_or_else(|| entity.primary_key.join(", "))
}

pub fn denormalized(out: &mut String, ir: &Ir) {
    let mut rows = Vec::new();
    for entity in &ir.entities {
        for field in &entity.fields {
            let Some(d) = &field.denormalized_from else { continue };
            let why = field.doc.as_deref().map_or("—".to_string(), |d| d.replace('\n', " "));
            rows.push(format!(
                "| `{}.{}` | `{}.{}` (through `{}`) | {why} |",
                entity.name, field.name, d.entity, d.field, d.navigation
            ));
        }
    }
    if rows.is_empty() {
        return;
    }
    out.push_str(
        "## Denormalized fields\n\nCopies of another entity's field, kept to spare a join on a hot path. \
         schemac does not keep them in step: whatever writes the source must write the copy (in the same \
         transaction), or the copy goes stale.\n\n| field | copied from | why (its doc comment) |\n|---|---|---|\n",
    );
    for row in rows {
        out.push_str(&row);
        out.push('\n');
    }
    out.push('\n');
}

pub fn scalability(out: &mut String, ir: &Ir, accesses: &[Access]) {
    let mut notes = Vec::new();
    let reads: f64 = ir.queries.iter().filter_map(|q| q.per_second).sum();
    let writes: f64 =
        ir.entities.iter().filter_map(|e| e.volume.as_ref()?.growth_per_day).map(|g| g as f64 / 86_400.0).sum();
    if reads > 0.0 && writes > 0.0 && reads >= 10.0 * writes && reads >= 100.0 {
        let mut top: Vec<_> = ir.queries.iter().filter(|q| q.per_second.is_some()).collect();
        top.sort_by(|a, b| b.per_second.partial_cmp(&a.per_second).unwrap_or(std::cmp::Ordering::Equal));
        let names: Vec<String> = top.iter().take(3).map(|q| format!("`{}`", q.name)).collect();
        notes.push(format!(
            "- **Read-heavy**: about {:.0} queries a second against {:.1} inserts ({:.0} reads per write). Read replicas can serve the queries that tolerate a little replication lag — the busiest are {}.",
            reads,
            writes,
            reads / writes,
            names.join(", ")
        ));
    }
    if reads >= 500.0 {
        notes.push(format!(
            "- **Connection pooling**: {reads:.0} queries a second is more than direct connections serve well; put PgBouncer (transaction mode) in front. Context values read by policies (`ctx.*`) must then be set per transaction (`SET LOCAL`, or `set_config(…, true)`), never per session."
        ));
    }
    let mut cached: Vec<(f64, String)> = Vec::new();
    for q in &ir.queries {
        let (Some(rate), Some(entity)) = (q.per_second, ir.entity(&q.entity)) else { continue };
        let Some(volume) = &entity.volume else { continue };
        let daily_change = volume.growth_per_day.unwrap_or(0) as f64 / volume.rows.max(1) as f64;
        if rate >= CACHE_RATE && daily_change <= CACHE_CHANGE {
            cached.push((
                rate,
                format!("`{}` ({rate:.0}/s; `{}` grows {:.2}% a day)", q.name, q.entity, daily_change * 100.0),
            ));
        }
    }
    if !cached.is_empty() {
        cached.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
        let names: Vec<String> = cached.into_iter().take(3).map(|(_, text)| text).collect();
        notes.push(format!(
            "- **Cache candidates**: {} — busy queries on entities that change slowly; an application cache keyed by their parameters takes most of that load.",
            names.join(", ")
        ));
    }
    let tenant_scoped: Vec<&Entity> =
        ir.entities.iter().filter(|e| e.behaviours.iter().any(|b| b.kind == BehaviourKind::TenantIsolation)).collect();
    if !tenant_scoped.is_empty() {
        let column = tenant_scoped[0]
            .behaviours
            .iter()
            .find(|b| b.kind == BehaviourKind::TenantIsolation)
            .and_then(|b| b.args.first())
            .map_or("tenant_id".to_string(), crate::graph::text::expr_text);
        let filtering: Vec<String> =
            accesses.iter().filter(|a| a.equality.contains(&column)).map(|a| format!("`{}`", a.query.name)).collect();
        notes.push(format!(
            "- **Sharding key**: `{column}` — {} entities carry it{}. Distributing by it (Citus `distribute by ({column})`) keeps each tenant's rows, and joins between them, on one node.",
            tenant_scoped.len(),
            if filtering.is_empty() { String::new() } else { format!(" and {} look rows up by it", filtering.join(", ")) }
        ));
    } else if let Some(largest) =
        ir.entities.iter().filter(|e| e.volume.is_some()).max_by_key(|e| e.volume.as_ref().map(|v| v.rows))
    {
        if largest.volume.as_ref().is_some_and(|v| v.rows >= PARTITION_ROWS) {
            let own: Vec<&Access> = accesses.iter().filter(|a| a.query.entity == largest.name).collect();
            notes.push(format!(
                "- **Sharding key**: no entity is tenant-scoped; the largest, `{}`, is looked up most by `{}`, the natural key to distribute it by if one server stops being enough.",
                largest.name,
                most_used_key(largest, &own)
            ));
        }
    }
    if notes.is_empty() {
        return;
    }
    out.push_str("## Scalability\n\n");
    out.push_str(&notes.join("\n"));
    out.push_str("\n\n");
}
