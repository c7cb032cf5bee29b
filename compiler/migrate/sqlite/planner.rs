//! Two SQLite models (old and new, with the declared renames) → the steps
//! of one migration, in the order they run inside its one transaction:
//!
//! 1. triggers and views that change, go, or mention a table this
//!    migration changes (transitively through views) are dropped — SQLite
//!    checks every view and trigger when a table is renamed or dropped —
//!    and so are FTS5 tables that change, go, or index such a table;
//! 2. indexes that change or go are dropped;
//! 3. declared renames run in place (`RENAME TO`, `RENAME COLUMN`);
//! 4. new tables are created;
//! 5. each changed table is altered in place where SQLite allows it
//!    (`ADD COLUMN`, `DROP COLUMN`: `rebuild.rs` says when) and rebuilt
//!    otherwise;
//! 6. dropped tables go;
//! 7. new and changed indexes, FTS5 tables (refilled from their table with
//!    the `'rebuild'` command), views and triggers are created.
//!
//! Every step has its down statements (or none: it cannot be undone) and
//! its hazards, with the H codes the PostgreSQL planner uses for the same
//! dangers. Produces data only: `script.rs` prints it, `apply.rs` runs it.

use std::collections::BTreeSet;

use super::rebuild;
use super::renames::{predicted, Renames};
use crate::backends::sqlite::compare::{compare, squeeze};
use crate::backends::sqlite::model::*;
use crate::backends::sqlite::quote::ident;
use crate::backends::sqlite::render;
use crate::diagnostics::{codes, Code};
use crate::migrate::plan::{Hazard, Phase, Plan, Step};

/// What a SQLite step locks: every write waits for the transaction.
pub const LOCK: &str = "database (write)";

fn step(summary: String, phase: Phase, up: Vec<String>, down: Option<Vec<String>>) -> Step {
    Step {
        summary,
        phase,
        up,
        down,
        lock: LOCK.into(),
        rewrite: false,
        scan: false,
        transactional: true,
        hazards: Vec::new(),
    }
}

fn hazard(code: Code, object: &str, message: String) -> Hazard {
    Hazard { code, object: object.to_string(), message }
}

fn same_table(a: &Table, b: &Table) -> bool {
    let one = |t: &Table| Schema { tables: vec![t.clone()], ..Schema::default() };
    compare(&one(a), &one(b)).is_empty()
}

fn same_index(a: &Index, b: &Index) -> bool {
    let one = |i: &Index| Schema { indexes: vec![i.clone()], ..Schema::default() };
    compare(&one(a), &one(b)).is_empty()
}

/// Whether `sql` mentions one of `names` (lowercase): a superset of what
/// depends on them, which only recreates a view or trigger more.
fn mentions(sql: &str, names: &BTreeSet<String>) -> bool {
    let sql = sql.to_ascii_lowercase();
    names.iter().any(|n| sql.contains(n.as_str()))
}

/// How one kept table changes.
enum TableChange<'a> {
    Same,
    InPlace { added: Vec<&'a Column>, dropped: Vec<&'a Column> },
    Rebuild,
}

/// The plan from `old` to `new`. `renames` are the declared ones; those
/// that do not apply to these models are ignored.
pub fn plan(old: &Schema, new: &Schema, renames: &Renames) -> Plan {
    let renames = renames.restricted(old, new);
    let before = predicted(old, &renames);
    let mut touched: BTreeSet<String> = BTreeSet::new();
    let mut touch = |name: &str| {
        touched.insert(name.to_ascii_lowercase());
    };
    for (from, to) in &renames.tables {
        touch(from);
        touch(to);
    }
    for (table, _) in renames.columns.keys() {
        touch(table);
        touch(&renames.inverse().table(table));
    }

    // Tables: created, dropped, and how each kept one changes.
    let created: Vec<&Table> = new.tables.iter().filter(|t| before.table(&t.name).is_none()).collect();
    let dropped: Vec<&Table> = before.tables.iter().filter(|t| new.table(&t.name).is_none()).collect();
    let referenced = |table: &str, column: &str| {
        before.tables.iter().filter(|t| t.name != table).any(|t| {
            t.foreign_keys.iter().any(|fk| fk.references == table && fk.referenced_columns.iter().any(|c| c == column))
        })
    };
    let mut changes: Vec<(&Table, &Table, TableChange)> = Vec::new();
    for n in &new.tables {
        let Some(p) = before.table(&n.name) else { continue };
        let change = classify(p, n, &referenced);
        if !matches!(change, TableChange::Same) {
            touch(&n.name);
        }
        changes.push((p, n, change));
    }
    for t in &dropped {
        touch(&t.name);
        touch(&renames.inverse().table(&t.name));
    }
    let rebuilt: BTreeSet<&str> =
        changes.iter().filter(|(_, _, c)| matches!(c, TableChange::Rebuild)).map(|(_, n, _)| n.name.as_str()).collect();
    let fresh: BTreeSet<&str> = created.iter().map(|t| t.name.as_str()).collect();
    let gone: BTreeSet<&str> = dropped.iter().map(|t| t.name.as_str()).collect();

    // Views: stale when changed, gone or depending on what changes.
    let mut stale_views: BTreeSet<String> = BTreeSet::new();
    loop {
        let mut depends = touched.clone();
        depends.extend(stale_views.iter().map(|v| v.to_ascii_lowercase()));
        let more: Vec<String> = old
            .views
            .iter()
            .filter(|v| !stale_views.contains(&v.name))
            .filter(|v| {
                let body = v.sql.split_once(" AS ").map_or(v.sql.as_str(), |(_, b)| b);
                match new.views.iter().find(|n| n.name == v.name) {
                    Some(n) => squeeze(&n.sql) != squeeze(&v.sql) || mentions(body, &depends),
                    None => true,
                }
            })
            .map(|v| v.name.clone())
            .collect();
        if more.is_empty() {
            break;
        }
        stale_views.extend(more);
    }
    let mut depends = touched.clone();
    depends.extend(stale_views.iter().map(|v| v.to_ascii_lowercase()));
    let stale_triggers: BTreeSet<String> = old
        .triggers
        .iter()
        .filter(|t| match new.triggers.iter().find(|n| n.name == t.name) {
            Some(n) => {
                squeeze(&n.sql) != squeeze(&t.sql)
                    || renames.table(&t.table) != n.table
                    || touched.contains(&t.table.to_ascii_lowercase())
                    || mentions(&t.sql, &depends)
            }
            None => true,
        })
        .map(|t| t.name.clone())
        .collect();

    // FTS5 tables: recreated (and refilled from their table) when changed,
    // gone, or over a table this migration changes — a rebuild may give
    // the table's rows other rowids.
    let stale_virtual: BTreeSet<String> = old
        .virtual_tables
        .iter()
        .filter(|v| match new.virtual_tables.iter().find(|n| n.name == v.name) {
            Some(n) => squeeze(&n.sql) != squeeze(&v.sql) || mentions(&v.sql, &depends),
            None => true,
        })
        .map(|v| v.name.clone())
        .collect();

    let mut steps: Vec<Step> = Vec::new();
    // 1. Triggers, views and FTS5 tables out of the way.
    for t in old.triggers.iter().filter(|t| stale_triggers.contains(&t.name)) {
        let mut s = step(
            format!("drop trigger {} on {}", t.name, t.table),
            Phase::Expand,
            vec![format!("DROP TRIGGER {}", ident(&t.name))],
            Some(vec![t.sql.clone()]),
        );
        if !new.triggers.iter().any(|n| n.name == t.name) {
            s.phase = Phase::Contract;
            s.hazards.push(hazard(
                codes::H0010,
                &format!("{}.{}", t.table, t.name),
                "what the trigger did stops happening".into(),
            ));
        }
        steps.push(s);
    }
    for v in old.views.iter().rev().filter(|v| stale_views.contains(&v.name)) {
        steps.push(step(
            format!("drop view {}", v.name),
            Phase::Expand,
            vec![format!("DROP VIEW {}", ident(&v.name))],
            Some(vec![v.sql.clone()]),
        ));
    }

    for v in old.virtual_tables.iter().filter(|v| stale_virtual.contains(&v.name)) {
        steps.push(step(
            format!("drop virtual table {}", v.name),
            Phase::Expand,
            vec![format!("DROP TABLE {}", ident(&v.name))],
            Some(vec![v.sql.clone(), refill(&v.name)]),
        ));
    }

    // 2. Indexes that change or go. Those of rebuilt and dropped tables are
    // dropped too, so their names are free before any table is created or
    // rebuilt; a rebuild's down creates its table's indexes again itself.
    let mut kept_indexes: BTreeSet<String> = BTreeSet::new();
    for (o, p) in old.indexes.iter().zip(&before.indexes) {
        let same = new.indexes.iter().find(|n| n.name == p.name).is_some_and(|n| same_index(p, n));
        let with_table = rebuilt.contains(p.table.as_str()) || gone.contains(p.table.as_str());
        if same && !with_table {
            kept_indexes.insert(p.name.clone());
            continue;
        }
        let down = if with_table { Vec::new() } else { vec![render::index_statement(o)] };
        let mut s = step(
            format!("drop index {} on {}", o.name, o.table),
            Phase::Expand,
            vec![format!("DROP INDEX {}", ident(&o.name))],
            Some(down),
        );
        let unique_kept = new.indexes.iter().any(|n| n.name == o.name && n.unique);
        if o.unique && !unique_kept && !gone.contains(p.table.as_str()) {
            s.phase = Phase::Contract;
            s.hazards.push(hazard(
                codes::H0006,
                &o.name,
                format!("`{}` no longer refuses duplicates of ({})", p.table, p.keys.join(", ")),
            ));
        }
        steps.push(s);
    }

    // 3. Renames in place.
    for (from, to) in &renames.tables {
        let mut s = step(
            format!("rename table {from} to {to}"),
            Phase::Expand,
            vec![format!("ALTER TABLE {} RENAME TO {}", ident(from), ident(to))],
            Some(vec![format!("ALTER TABLE {} RENAME TO {}", ident(to), ident(from))]),
        );
        s.hazards.push(hazard(codes::H0005, to, format!("clients that still use `{from}` fail after the rename")));
        steps.push(s);
    }
    for ((table, from), to) in &renames.columns {
        let t = ident(table);
        let mut s = step(
            format!("rename column {table}.{from} to {to}"),
            Phase::Expand,
            vec![format!("ALTER TABLE {t} RENAME COLUMN {} TO {}", ident(from), ident(to))],
            Some(vec![format!("ALTER TABLE {t} RENAME COLUMN {} TO {}", ident(to), ident(from))]),
        );
        s.hazards.push(hazard(
            codes::H0005,
            &format!("{table}.{to}"),
            format!("clients that still use `{table}.{from}` fail after the rename"),
        ));
        steps.push(s);
    }

    // 4. New tables, with their indexes.
    for t in &created {
        let mut up = vec![render::table_statement(t)];
        up.extend(new.indexes.iter().filter(|i| i.table == t.name).map(render::index_statement));
        steps.push(step(
            format!("create table {}", t.name),
            Phase::Expand,
            up,
            Some(vec![format!("DROP TABLE {}", ident(&t.name))]),
        ));
    }

    // 5. Changed tables.
    for (p, n, change) in &changes {
        match change {
            TableChange::Same => {}
            TableChange::InPlace { added, dropped } => {
                let t = ident(&n.name);
                for c in added {
                    steps.push(step(
                        format!("add column {}.{}", n.name, c.name),
                        Phase::Expand,
                        vec![format!("ALTER TABLE {t} ADD COLUMN {}", render::column(c))],
                        Some(vec![format!("ALTER TABLE {t} DROP COLUMN {}", ident(&c.name))]),
                    ));
                }
                for c in dropped {
                    let mut s = step(
                        format!("drop column {}.{}", n.name, c.name),
                        Phase::Contract,
                        vec![format!("ALTER TABLE {t} DROP COLUMN {}", ident(&c.name))],
                        None,
                    );
                    s.hazards.push(dropped_column(&n.name, &c.name));
                    steps.push(s);
                }
            }
            TableChange::Rebuild => steps.push(rebuild_step(p, n, &before, new)),
        }
    }

    // 6. Dropped tables.
    for t in &dropped {
        let mut s = step(
            format!("drop table {}", t.name),
            Phase::Contract,
            vec![format!("DROP TABLE {}", ident(&t.name))],
            None,
        );
        s.hazards.push(hazard(codes::H0001, &t.name, format!("every row of `{}` is deleted", t.name)));
        steps.push(s);
    }

    // 7. Indexes, views and triggers of the new state.
    for i in &new.indexes {
        let with_table = fresh.contains(i.table.as_str()) || rebuilt.contains(i.table.as_str());
        if with_table || kept_indexes.contains(&i.name) {
            continue;
        }
        let mut s = step(
            format!("create index {} on {}", i.name, i.table),
            Phase::Expand,
            vec![render::index_statement(i)],
            Some(vec![format!("DROP INDEX {}", ident(&i.name))]),
        );
        s.scan = true;
        if i.unique {
            s.hazards.push(hazard(
                codes::H0004,
                &i.name,
                format!("fails if rows of `{}` share ({})", i.table, i.keys.join(", ")),
            ));
        }
        steps.push(s);
    }
    let kept_view = |name: &str| old.views.iter().any(|v| v.name == name) && !stale_views.contains(name);
    for v in new.views.iter().filter(|v| !kept_view(&v.name)) {
        steps.push(step(
            format!("create view {}", v.name),
            Phase::Expand,
            vec![v.sql.clone()],
            Some(vec![format!("DROP VIEW {}", ident(&v.name))]),
        ));
    }
    let kept_virtual = |name: &str| old.virtual_tables.iter().any(|v| v.name == name) && !stale_virtual.contains(name);
    for v in new.virtual_tables.iter().filter(|v| !kept_virtual(&v.name)) {
        steps.push(step(
            format!("create virtual table {}", v.name),
            Phase::Expand,
            vec![v.sql.clone(), refill(&v.name)],
            Some(vec![format!("DROP TABLE {}", ident(&v.name))]),
        ));
    }
    let kept_trigger = |name: &str| old.triggers.iter().any(|t| t.name == name) && !stale_triggers.contains(name);
    for t in new.triggers.iter().filter(|t| !kept_trigger(&t.name)) {
        steps.push(step(
            format!("create trigger {} on {}", t.name, t.table),
            Phase::Expand,
            vec![t.sql.clone()],
            Some(vec![format!("DROP TRIGGER {}", ident(&t.name))]),
        ));
    }
    Plan { steps, moved_columns: Vec::new() }
}

/// FTS5's `'rebuild'` command: indexes again every row of the content table.
fn refill(name: &str) -> String {
    format!("INSERT INTO {0} ({0}) VALUES ('rebuild')", ident(name))
}

fn dropped_column(table: &str, column: &str) -> Hazard {
    hazard(codes::H0002, &format!("{table}.{column}"), format!("the values of `{table}.{column}` are deleted"))
}

/// Same, altered in place, or rebuilt.
fn classify<'a>(p: &'a Table, n: &'a Table, referenced: &dyn Fn(&str, &str) -> bool) -> TableChange<'a> {
    if same_table(p, n) {
        return TableChange::Same;
    }
    let added: Vec<&Column> = n.columns.iter().filter(|c| p.column(&c.name).is_none()).collect();
    let dropped: Vec<&Column> = p.columns.iter().filter(|c| n.column(&c.name).is_none()).collect();
    let mut candidate = p.clone();
    candidate.columns.retain(|c| n.column(&c.name).is_some());
    candidate.columns.extend(added.iter().map(|c| (*c).clone()));
    let in_place = same_table(&candidate, n)
        && added.iter().all(|c| rebuild::addable(c, n))
        && dropped.iter().all(|c| rebuild::droppable(c, p, referenced(&p.name, &c.name)));
    if in_place {
        TableChange::InPlace { added, dropped }
    } else {
        TableChange::Rebuild
    }
}

/// The rebuild of `p` (the old table after renames) as `n`, with its
/// hazards; undone by the rebuild back unless it drops columns.
fn rebuild_step(p: &Table, n: &Table, before: &Schema, new: &Schema) -> Step {
    let new_indexes: Vec<&Index> = new.indexes.iter().filter(|i| i.table == n.name).collect();
    let old_indexes: Vec<&Index> = before.indexes.iter().filter(|i| i.table == p.name).collect();
    let dropped: Vec<&Column> = p.columns.iter().filter(|c| n.column(&c.name).is_none()).collect();
    let down = dropped.is_empty().then(|| rebuild::statements(n, p, &old_indexes));
    let mut s = step(format!("rebuild table {}", n.name), Phase::Expand, rebuild::statements(p, n, &new_indexes), down);
    s.rewrite = true;
    s.scan = true;
    let mut what = Vec::new();
    let table = &n.name;
    for c in &n.columns {
        match p.column(&c.name) {
            Some(o) => {
                if o.ty != c.ty {
                    what.push(format!("type of {}", c.name));
                    s.hazards.push(hazard(
                        codes::H0004,
                        &format!("{table}.{}", c.name),
                        format!(
                            "values of `{table}.{}` are copied as {}: one that does not convert stops the copy",
                            c.name, c.ty
                        ),
                    ));
                }
                if c.not_null && !o.not_null {
                    s.hazards.push(hazard(
                        codes::H0004,
                        &format!("{table}.{}", c.name),
                        format!("fails if a row of `{table}` has no `{}`", c.name),
                    ));
                }
            }
            None => {
                what.push(format!("add {}", c.name));
                if c.not_null && c.default.is_none() && c.generated.is_none() {
                    s.hazards.push(hazard(
                        codes::H0004,
                        &format!("{table}.{}", c.name),
                        format!(
                            "`{table}.{}` is required and has no default: the copy fails unless `{table}` is empty",
                            c.name
                        ),
                    ));
                }
            }
        }
    }
    for c in &dropped {
        what.push(format!("drop {}", c.name));
        s.phase = Phase::Contract;
        s.hazards.push(dropped_column(table, &c.name));
    }
    let check_text = |c: &Check| (c.name.clone(), squeeze(&c.expr));
    let old_checks: BTreeSet<_> = p.checks.iter().map(check_text).collect();
    let new_checks: BTreeSet<_> = n.checks.iter().map(check_text).collect();
    for (name, expr) in new_checks.difference(&old_checks) {
        what.push(format!("check {name}"));
        s.hazards.push(hazard(
            codes::H0004,
            &format!("{table}.{name}"),
            format!("fails if a row of `{table}` breaks CHECK ({expr})"),
        ));
    }
    for (name, _) in old_checks.difference(&new_checks) {
        if !n.checks.iter().any(|c| &c.name == name) {
            what.push(format!("no check {name}"));
            s.hazards.push(hazard(
                codes::H0006,
                &format!("{table}.{name}"),
                format!("`{table}` accepts rows that check `{name}` refused"),
            ));
        }
    }
    let old_uniques: BTreeSet<&Vec<String>> = p.uniques.iter().collect();
    let new_uniques: BTreeSet<&Vec<String>> = n.uniques.iter().collect();
    for u in new_uniques.difference(&old_uniques) {
        what.push(format!("unique ({})", u.join(", ")));
        s.hazards.push(hazard(codes::H0004, table, format!("fails if rows of `{table}` share ({})", u.join(", "))));
    }
    for u in old_uniques.difference(&new_uniques) {
        what.push(format!("no unique ({})", u.join(", ")));
        s.hazards.push(hazard(
            codes::H0006,
            table,
            format!("`{table}` no longer refuses duplicates of ({})", u.join(", ")),
        ));
    }
    if p.primary_key != n.primary_key {
        what.push("primary key".into());
        s.hazards.push(hazard(
            codes::H0004,
            table,
            format!("fails if rows of `{table}` share ({})", n.primary_key.join(", ")),
        ));
    }
    let fk_text = |fk: &ForeignKey| render::foreign_key(fk);
    let old_fks: BTreeSet<String> = p.foreign_keys.iter().map(fk_text).collect();
    let new_fks: BTreeSet<String> = n.foreign_keys.iter().map(fk_text).collect();
    for fk in new_fks.difference(&old_fks) {
        what.push("foreign key".into());
        s.hazards.push(hazard(
            codes::H0004,
            table,
            format!("the foreign key check fails if a row of `{table}` breaks {fk}"),
        ));
    }
    for (fk, model) in p.foreign_keys.iter().map(|fk| (fk_text(fk), fk)) {
        if !new_fks.contains(&fk) && !n.foreign_keys.iter().any(|f| f.columns == model.columns) {
            what.push("no foreign key".into());
            s.hazards.push(hazard(codes::H0006, table, format!("`{table}` no longer checks {fk}")));
        }
    }
    what.dedup();
    if !what.is_empty() {
        s.summary = format!("rebuild table {table} ({})", what.join("; "));
    }
    s.hazards.push(hazard(
        codes::H0003,
        table,
        format!("`{table}` is copied into a new table (SQLite's table rebuild); writers wait until it finishes"),
    ));
    s
}
