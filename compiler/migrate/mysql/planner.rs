//! Two MySQL models (old and new, with the declared renames) → the steps of
//! one migration. MySQL commits every DDL statement by itself, so each step
//! is one statement (a foreign key's step also has the read-only query that
//! finds rows it would refuse) and the journal records each step; the order
//! keeps every step valid on the state the steps before it leave:
//!
//! 1. triggers and views that change or go are dropped;
//! 2. foreign keys, CHECKs and indexes that change or go are dropped (in
//!    that order: an index may serve a foreign key);
//! 3. declared renames run in place (`RENAME TO`, `RENAME COLUMN`);
//! 4. new tables are created, each with its keys, checks and foreign keys;
//! 5. each kept table's columns are added (at their place), modified,
//!    dropped and put in order, its primary key and comment changed;
//! 6. new and changed indexes, CHECKs and foreign keys are added;
//! 7. dropped tables go;
//! 8. new and changed views and triggers are created.
//!
//! Every ALTER ends with the `ALGORITHM` and `LOCK` of `online.rs`, which
//! the step also records (its `lock`); a step that copies or rebuilds the
//! table has H0003. Every step has its down statement (or none: it cannot
//! be undone) and its hazards, with the H codes the PostgreSQL planner uses
//! for the same dangers. Produces data only: `script.rs` prints it,
//! `apply.rs` runs it.

use std::collections::BTreeSet;

use super::online::{self, Online};
use super::renames::{predicted, Renames};
use crate::backends::mysql::compare::{normalize, squeeze};
use crate::backends::mysql::model::*;
use crate::backends::mysql::quote::{ident, ident_list, literal};
use crate::backends::mysql::render;
use crate::diagnostics::{codes, Code};
use crate::migrate::plan::{Hazard, Phase, Plan, Step};

/// What a statement that is not an ALTER TABLE holds: a metadata lock on
/// the objects it names, for as long as it runs.
pub const METADATA_LOCK: &str = "metadata lock";

fn step(summary: String, phase: Phase, up: Vec<String>, down: Option<Vec<String>>) -> Step {
    Step {
        summary,
        phase,
        up,
        down,
        lock: METADATA_LOCK.into(),
        rewrite: false,
        scan: false,
        transactional: false,
        hazards: Vec::new(),
    }
}

/// An ALTER TABLE step: `alter` is the text after the table's name.
fn alter(table: &str, summary: String, phase: Phase, change: &str, online: Online, down: Option<String>) -> Step {
    let mut s = step(summary, phase, vec![alter_statement(table, change, online)], down.map(|d| vec![d]));
    s.lock = online.to_string();
    s.rewrite = online.rewrites();
    s
}

/// `ALTER TABLE `t` <change>, ALGORITHM=…, LOCK=…`.
pub fn alter_statement(table: &str, change: &str, online: Online) -> String {
    format!("ALTER TABLE {} {change}{}", ident(table), online.clause())
}

fn hazard(code: Code, object: &str, message: String) -> Hazard {
    Hazard { code, object: object.to_string(), message }
}

/// H0003 for a step that copies or rebuilds `table`, about `object` (the
/// column or constraint that makes it, as the PostgreSQL planner names it).
fn rewritten(table: &str, object: &str, online: Online) -> Hazard {
    let how = if online.algorithm == online::Algorithm::Copy {
        "copied into a new table: writers wait until it finishes"
    } else {
        "rebuilt in place: reads and writes go on, the rebuild takes time and disk"
    };
    hazard(codes::H0003, object, format!("`{table}` is {how} ({online})"))
}

fn same_column(a: &Column, b: &Column) -> bool {
    a.ty == b.ty
        && a.not_null == b.not_null
        && a.default.as_deref().map(normalize) == b.default.as_deref().map(normalize)
        && a.generated.as_deref().map(normalize) == b.generated.as_deref().map(normalize)
        && a.auto_increment == b.auto_increment
        && a.comment == b.comment
}

fn same_index(a: &Index, b: &Index) -> bool {
    a.unique == b.unique && a.keys == b.keys && a.implicit == b.implicit
}

fn same_foreign_key(a: &ForeignKey, b: &ForeignKey) -> bool {
    a == b
}

fn index_clause(i: &Index) -> String {
    let kind = if i.unique { "UNIQUE KEY" } else { "KEY" };
    format!("ADD {kind} {} ({})", ident(&i.name), i.keys.join(", "))
}

fn check_clause(c: &Check) -> String {
    format!("ADD CONSTRAINT {} CHECK ({})", ident(&c.name), c.expr)
}

/// Whether `sql` mentions one of `names` (lowercase): a superset of what
/// depends on them, which only recreates a view more.
fn mentions(sql: &str, names: &BTreeSet<String>) -> bool {
    let sql = sql.to_ascii_lowercase();
    names.iter().any(|n| sql.contains(&format!("`{n}`")))
}

/// The plan from `old` to `new`. `renames` are the declared ones; those
/// that do not apply to these models are ignored.
pub fn plan(old: &Schema, new: &Schema, renames: &Renames) -> Plan {
    let renames = renames.restricted(old, new);
    let before = predicted(old, &renames);
    let mut steps: Vec<Step> = Vec::new();

    let created: Vec<&Table> = new.tables.iter().filter(|t| before.table(&t.name).is_none()).collect();
    let dropped: Vec<(&Table, &Table)> =
        old.tables.iter().zip(&before.tables).filter(|(_, p)| new.table(&p.name).is_none()).collect();
    let kept: Vec<(&Table, &Table)> = before.tables.iter().filter_map(|p| new.table(&p.name).map(|n| (p, n))).collect();
    let mut touched: BTreeSet<String> = BTreeSet::new();
    for (from, to) in &renames.tables {
        touched.insert(from.to_ascii_lowercase());
        touched.insert(to.to_ascii_lowercase());
    }
    for (p, _) in &dropped {
        touched.insert(p.name.to_ascii_lowercase());
    }

    // 1. Triggers and views out of the way.
    let stale_trigger = |t: &Trigger| match new.triggers.iter().find(|n| n.name == t.name) {
        Some(n) => {
            squeeze(&n.body) != squeeze(&t.body)
                || n.timing != t.timing
                || n.event != t.event
                || renames.table(&t.table) != n.table
                || touched.contains(&t.table.to_ascii_lowercase())
        }
        None => true,
    };
    let stale_triggers: BTreeSet<&str> =
        old.triggers.iter().filter(|t| stale_trigger(t)).map(|t| t.name.as_str()).collect();
    for t in old.triggers.iter().filter(|t| stale_triggers.contains(t.name.as_str())) {
        let mut s = step(
            format!("drop trigger {} on {}", t.name, t.table),
            Phase::Expand,
            vec![format!("DROP TRIGGER {}", ident(&t.name))],
            Some(vec![render::trigger_statement(t)]),
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
    let mut stale_views: BTreeSet<String> = BTreeSet::new();
    loop {
        let mut depends = touched.clone();
        depends.extend(stale_views.iter().map(|v| v.to_ascii_lowercase()));
        let more: Vec<String> = old
            .views
            .iter()
            .filter(|v| !stale_views.contains(&v.name))
            .filter(|v| match new.views.iter().find(|n| n.name == v.name) {
                Some(n) => {
                    squeeze(&n.query) != squeeze(&v.query) || n.security != v.security || mentions(&v.query, &depends)
                }
                None => true,
            })
            .map(|v| v.name.clone())
            .collect();
        if more.is_empty() {
            break;
        }
        stale_views.extend(more);
    }
    for v in old.views.iter().rev().filter(|v| stale_views.contains(&v.name)) {
        steps.push(step(
            format!("drop view {}", v.name),
            Phase::Expand,
            vec![format!("DROP VIEW {}", ident(&v.name))],
            Some(vec![render::view_statement(v)]),
        ));
    }

    // 2. Foreign keys, checks and indexes that change or go, on kept tables
    // (a dropped table takes its own with it).
    for (p, n) in &kept {
        // Before the renames: the table still has its old name.
        let table = renames.original(&p.name);
        // The down statements run once the renames are undone: A's own objects.
        let Some(original) = old.table(&table) else { continue };
        for fk in &p.foreign_keys {
            if n.foreign_keys.iter().any(|f| f.name == fk.name && same_foreign_key(f, fk)) {
                continue;
            }
            let mut s = alter(
                &table,
                format!("drop foreign key {} on {}", fk.name, p.name),
                Phase::Expand,
                &format!("DROP FOREIGN KEY {}", ident(&fk.name)),
                Online::INSTANT,
                original.foreign_keys.iter().find(|f| f.name == fk.name).map(|f| add_foreign_key_statement(&table, f)),
            );
            if !n.foreign_keys.iter().any(|f| f.columns == fk.columns) {
                s.phase = Phase::Contract;
                s.hazards.push(hazard(
                    codes::H0006,
                    &p.name,
                    format!("`{}` no longer checks {}", p.name, render::foreign_key(fk)),
                ));
            }
            steps.push(s);
            // InnoDB keeps the index it made for the foreign key.
            if let Some(i) = p.indexes.iter().find(|i| i.implicit && i.name == fk.name) {
                if !n.indexes.iter().any(|m| m.name == i.name && same_index(m, i)) {
                    steps.push(alter(
                        &table,
                        format!("drop index {} on {} (made for the foreign key)", i.name, p.name),
                        Phase::Expand,
                        &format!("DROP KEY {}", ident(&i.name)),
                        Online::INPLACE,
                        None,
                    ));
                }
            }
        }
        for c in &p.checks {
            if n.checks.iter().any(|m| m.name == c.name && normalize(&m.expr) == normalize(&c.expr)) {
                continue;
            }
            let mut s = alter(
                &table,
                format!("drop check {} on {}", c.name, p.name),
                Phase::Expand,
                &format!("DROP CONSTRAINT {}", ident(&c.name)),
                Online::INSTANT,
                Some(alter_statement(&table, &check_clause(c), Online::COPY)),
            );
            if !n.checks.iter().any(|m| m.name == c.name) {
                s.phase = Phase::Contract;
                s.hazards.push(hazard(
                    codes::H0006,
                    &format!("{}.{}", p.name, c.name),
                    format!("`{}` accepts rows that check `{}` refused", p.name, c.name),
                ));
            }
            steps.push(s);
        }
        for i in p.indexes.iter().filter(|i| !i.implicit) {
            if n.indexes.iter().any(|m| m.name == i.name && same_index(m, i)) {
                continue;
            }
            let mut s = alter(
                &table,
                format!("drop index {} on {}", i.name, p.name),
                Phase::Expand,
                &format!("DROP KEY {}", ident(&i.name)),
                Online::INPLACE,
                original.index(&i.name).map(|i| alter_statement(&table, &index_clause(i), Online::INPLACE)),
            );
            if i.unique && !n.indexes.iter().any(|m| m.name == i.name && m.unique) {
                s.phase = Phase::Contract;
                s.hazards.push(hazard(
                    codes::H0006,
                    &i.name,
                    format!("`{}` no longer refuses duplicates of ({})", p.name, i.keys.join(", ")),
                ));
            }
            steps.push(s);
        }
    }

    // 3. Renames in place.
    for (from, to) in &renames.tables {
        let mut s = alter(
            from,
            format!("rename table {from} to {to}"),
            Phase::Expand,
            &format!("RENAME TO {}", ident(to)),
            Online::RENAME_TABLE,
            Some(alter_statement(to, &format!("RENAME TO {}", ident(from)), Online::RENAME_TABLE)),
        );
        s.hazards.push(hazard(codes::H0005, to, format!("clients that still use `{from}` fail after the rename")));
        steps.push(s);
    }
    for ((table, from), to) in &renames.columns {
        // MariaDB keeps a json column's CHECK (json_valid) under the old
        // name on RENAME COLUMN; CHANGE with the definition renames it too.
        let change = |from: &str, c: &Column| {
            if c.ty == "json" {
                format!("CHANGE COLUMN {} {}", ident(from), render::column(c))
            } else {
                format!("RENAME COLUMN {} TO {}", ident(from), ident(&c.name))
            }
        };
        let renamed = before.table(table).and_then(|t| t.column(to));
        let original = old.table(&renames.original(table)).and_then(|t| t.column(from));
        let (Some(renamed), Some(original)) = (renamed, original) else { continue };
        let mut s = alter(
            table,
            format!("rename column {table}.{from} to {to}"),
            Phase::Expand,
            &change(from, renamed),
            Online::INSTANT,
            Some(alter_statement(table, &change(to, original), Online::INSTANT)),
        );
        s.hazards.push(hazard(
            codes::H0005,
            &format!("{table}.{to}"),
            format!("clients that still use `{table}.{from}` fail after the rename"),
        ));
        steps.push(s);
    }

    // 4. New tables, whole.
    for t in &created {
        steps.push(step(
            format!("create table {}", t.name),
            Phase::Expand,
            vec![render::table_statement(t)],
            Some(vec![format!("DROP TABLE {}", ident(&t.name))]),
        ));
    }

    // 5. Kept tables' columns, primary key and comment.
    for (p, n) in &kept {
        columns(p, n, &mut steps);
        if p.primary_key != n.primary_key {
            let key = |t: &Table| {
                let mut parts = Vec::new();
                if !t.primary_key.is_empty() {
                    parts.push(format!("ADD PRIMARY KEY ({})", ident_list(&t.primary_key)));
                }
                parts
            };
            let change = |from: &Table, to: &Table| {
                let mut parts = Vec::new();
                if !from.primary_key.is_empty() {
                    parts.push("DROP PRIMARY KEY".to_string());
                }
                parts.extend(key(to));
                parts.join(", ")
            };
            let mut s = alter(
                &n.name,
                format!("change the primary key of {}", n.name),
                Phase::Expand,
                &change(p, n),
                Online::INPLACE,
                Some(alter_statement(&n.name, &change(n, p), Online::INPLACE)),
            );
            s.rewrite = true;
            s.hazards.push(rewritten(&n.name, &n.name, Online::INPLACE));
            s.hazards.push(hazard(
                codes::H0004,
                &n.name,
                format!("fails if rows of `{}` share ({})", n.name, n.primary_key.join(", ")),
            ));
            steps.push(s);
        }
        if p.comment != n.comment {
            let comment = |t: &Table| format!("COMMENT={}", literal(t.comment.as_deref().unwrap_or("")));
            steps.push(alter(
                &n.name,
                format!("comment on table {}", n.name),
                Phase::Expand,
                &comment(n),
                Online::INSTANT,
                Some(alter_statement(&n.name, &comment(p), Online::INSTANT)),
            ));
        }
    }

    // 6. New and changed indexes, checks and foreign keys of kept tables.
    for (p, n) in &kept {
        for i in n.indexes.iter().filter(|i| !i.implicit) {
            if p.indexes.iter().any(|m| m.name == i.name && same_index(m, i)) {
                continue;
            }
            let mut s = alter(
                &n.name,
                format!("create {}index {} on {}", if i.unique { "unique " } else { "" }, i.name, n.name),
                Phase::Expand,
                &index_clause(i),
                Online::INPLACE,
                Some(alter_statement(&n.name, &format!("DROP KEY {}", ident(&i.name)), Online::INPLACE)),
            );
            s.scan = true;
            if i.unique {
                s.hazards.push(hazard(
                    codes::H0004,
                    &i.name,
                    format!("fails if rows of `{}` share ({})", n.name, i.keys.join(", ")),
                ));
            }
            steps.push(s);
        }
        for c in &n.checks {
            if p.checks.iter().any(|m| m.name == c.name && normalize(&m.expr) == normalize(&c.expr)) {
                continue;
            }
            let mut s = alter(
                &n.name,
                format!("add check {} on {}", c.name, n.name),
                Phase::Expand,
                &check_clause(c),
                Online::COPY,
                Some(alter_statement(&n.name, &format!("DROP CONSTRAINT {}", ident(&c.name)), Online::INSTANT)),
            );
            s.scan = true;
            s.hazards.push(rewritten(&n.name, &format!("{}.{}", n.name, c.name), Online::COPY));
            s.hazards.push(hazard(
                codes::H0004,
                &format!("{}.{}", n.name, c.name),
                format!("fails if a row of `{}` breaks CHECK ({})", n.name, c.expr),
            ));
            steps.push(s);
        }
        for fk in &n.foreign_keys {
            if p.foreign_keys.iter().any(|f| f.name == fk.name && same_foreign_key(f, fk)) {
                continue;
            }
            let mut s = step(
                format!("add foreign key {} on {}", fk.name, n.name),
                Phase::Expand,
                vec![orphans_query(&n.name, fk), add_foreign_key_statement(&n.name, fk)],
                Some(vec![alter_statement(&n.name, &format!("DROP FOREIGN KEY {}", ident(&fk.name)), Online::INSTANT)]),
            );
            s.lock = Online::INPLACE.to_string();
            s.scan = true;
            s.hazards.push(hazard(
                codes::H0004,
                &n.name,
                format!(
                    "stops before adding it if a row of `{}` breaks {} (the query before the ALTER finds them)",
                    n.name,
                    render::foreign_key(fk)
                ),
            ));
            steps.push(s);
        }
    }

    // 7. Dropped tables.
    for (o, p) in &dropped {
        let mut s = step(
            format!("drop table {}", o.name),
            Phase::Contract,
            vec![format!("DROP TABLE {}", ident(&o.name))],
            None,
        );
        s.hazards.push(hazard(codes::H0001, &p.name, format!("every row of `{}` is deleted", o.name)));
        steps.push(s);
    }

    // 8. Views and triggers of the new state.
    let kept_view = |name: &str| old.views.iter().any(|v| v.name == name) && !stale_views.contains(name);
    for v in new.views.iter().filter(|v| !kept_view(&v.name)) {
        steps.push(step(
            format!("create view {}", v.name),
            Phase::Expand,
            vec![render::view_statement(v)],
            Some(vec![format!("DROP VIEW {}", ident(&v.name))]),
        ));
    }
    let kept_trigger = |name: &str| old.triggers.iter().any(|t| t.name == name) && !stale_triggers.contains(name);
    for t in new.triggers.iter().filter(|t| !kept_trigger(&t.name)) {
        steps.push(step(
            format!("create trigger {} on {}", t.name, t.table),
            Phase::Expand,
            vec![render::trigger_statement(t)],
            Some(vec![format!("DROP TRIGGER {}", ident(&t.name))]),
        ));
    }
    Plan { steps, moved_columns: Vec::new() }
}

/// `ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY …, ALGORITHM=INPLACE, LOCK=NONE`:
/// in place only with `foreign_key_checks = 0`, which `apply.rs` and the
/// scripts set, so the rows are not checked by the ALTER itself.
pub fn add_foreign_key_statement(table: &str, fk: &ForeignKey) -> String {
    alter_statement(table, &format!("ADD {}", render::foreign_key(fk)), Online::INPLACE)
}

/// The query that finds a row of `table` that `fk` would refuse: the step
/// stops when it returns one (`apply.rs`; the script's reader runs it).
pub fn orphans_query(table: &str, fk: &ForeignKey) -> String {
    let child = |c: &String| format!("c.{}", ident(c));
    let join: Vec<String> =
        fk.columns.iter().zip(&fk.referenced_columns).map(|(c, r)| format!("{} = p.{}", child(c), ident(r))).collect();
    let present: Vec<String> = fk.columns.iter().map(|c| format!("{} IS NOT NULL", child(c))).collect();
    format!(
        "SELECT {} FROM {} AS c LEFT JOIN {} AS p ON {} WHERE {} AND p.{} IS NULL LIMIT 1",
        fk.columns.iter().map(child).collect::<Vec<_>>().join(", "),
        ident(table),
        ident(&fk.references),
        join.join(" AND "),
        present.join(" AND "),
        ident(&fk.referenced_columns[0])
    )
}

/// The position clause that puts a column after `previous` (or first).
fn position(previous: Option<&str>) -> String {
    match previous {
        Some(p) => format!(" AFTER {}", ident(p)),
        None => " FIRST".into(),
    }
}

/// Steps for the columns of kept table `p` (the old table after renames)
/// becoming those of `n`: added where `n` has them, modified, dropped, then
/// moved where `n`'s order differs.
fn columns(p: &Table, n: &Table, steps: &mut Vec<Step>) {
    let table = &n.name;
    let mut order: Vec<String> = p.columns.iter().map(|c| c.name.clone()).collect();
    for (at, c) in n.columns.iter().enumerate() {
        if p.column(&c.name).is_some() {
            continue;
        }
        let previous = at.checked_sub(1).map(|i| n.columns[i].name.as_str());
        let online = online::add_column(c);
        let mut s = alter(
            table,
            format!("add column {table}.{}", c.name),
            Phase::Expand,
            &format!("ADD COLUMN {}{}", render::column(c), position(previous)),
            online,
            Some(alter_statement(table, &format!("DROP COLUMN {}", ident(&c.name)), Online::INSTANT)),
        );
        if online.rewrites() {
            s.hazards.push(rewritten(table, &format!("{table}.{}", c.name), online));
        }
        if c.not_null && c.default.is_none() && c.generated.is_none() && !c.auto_increment {
            s.hazards.push(hazard(
                codes::H0004,
                &format!("{table}.{}", c.name),
                format!("`{table}.{}` is required and has no default: existing rows get the type's zero value or the ALTER fails", c.name),
            ));
        }
        steps.push(s);
        let slot = previous.and_then(|p| order.iter().position(|o| o == p)).map_or(0, |i| i + 1);
        order.insert(slot, c.name.clone());
    }
    for c in &n.columns {
        let Some(o) = p.column(&c.name) else { continue };
        if same_column(o, c) {
            continue;
        }
        let online = online::modify_column(o, c);
        let mut s = alter(
            table,
            format!("modify column {table}.{} ({})", c.name, describe_change(o, c)),
            Phase::Expand,
            &format!("MODIFY COLUMN {}", render::column(c)),
            online,
            Some(alter_statement(table, &format!("MODIFY COLUMN {}", render::column(o)), online::modify_column(c, o))),
        );
        if online.algorithm != online::Algorithm::Instant {
            s.rewrite = true;
            s.hazards.push(rewritten(table, &format!("{table}.{}", c.name), online));
        }
        if online::may_refuse_rows(o, c) {
            s.hazards.push(hazard(
                codes::H0004,
                &format!("{table}.{}", c.name),
                format!("fails if a value of `{table}.{}` does not fit {}", c.name, render::column(c)),
            ));
        }
        steps.push(s);
    }
    for c in &p.columns {
        if n.column(&c.name).is_some() {
            continue;
        }
        let mut s = alter(
            table,
            format!("drop column {table}.{}", c.name),
            Phase::Contract,
            &format!("DROP COLUMN {}", ident(&c.name)),
            Online::INSTANT,
            None,
        );
        s.hazards.push(hazard(
            codes::H0002,
            &format!("{table}.{}", c.name),
            format!("the values of `{table}.{}` are deleted", c.name),
        ));
        steps.push(s);
        order.retain(|o| *o != c.name);
    }
    let wanted: Vec<&str> = n.columns.iter().map(|c| c.name.as_str()).collect();
    for at in 0..wanted.len() {
        if order.get(at).map(String::as_str) == Some(wanted[at]) {
            continue;
        }
        let Some(c) = n.column(wanted[at]) else { continue };
        let previous = at.checked_sub(1).map(|i| wanted[i]);
        let old_previous =
            order.iter().position(|o| *o == c.name).and_then(|i| i.checked_sub(1)).map(|i| order[i].clone());
        steps.push(alter(
            table,
            format!("move column {table}.{}", c.name),
            Phase::Expand,
            &format!("MODIFY COLUMN {}{}", render::column(c), position(previous)),
            Online::INSTANT,
            Some(alter_statement(
                table,
                &format!("MODIFY COLUMN {}{}", render::column(c), position(old_previous.as_deref())),
                Online::INSTANT,
            )),
        ));
        order.retain(|o| *o != c.name);
        order.insert(at, c.name.clone());
    }
}

fn describe_change(o: &Column, c: &Column) -> String {
    let mut what = Vec::new();
    if o.ty != c.ty {
        what.push(format!("{} → {}", o.ty, c.ty));
    }
    if o.not_null != c.not_null {
        what.push(if c.not_null { "NOT NULL" } else { "NULL" }.to_string());
    }
    if o.default.as_deref().map(normalize) != c.default.as_deref().map(normalize) {
        what.push("default".into());
    }
    if o.comment != c.comment {
        what.push("comment".into());
    }
    if o.generated != c.generated || o.auto_increment != c.auto_increment {
        what.push("generation".into());
    }
    what.join("; ")
}
