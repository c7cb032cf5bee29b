//! Changes → an ordered, lock-aware plan of steps for PostgreSQL 15+.
//!
//! Each step carries its up SQL, its down SQL (or none: irreversible), the
//! lock it takes, whether it rewrites or scans the table, whether it can run
//! in a transaction, its phase (expand, backfill, contract) and its hazards.
//! The rules of migrations.md replace naive statements: indexes and uniques
//! on existing tables are built CONCURRENTLY, constraints are added NOT VALID
//! and validated in a later step, NOT NULL goes through a validated check,
//! binary-coercible type changes are told apart from rewrites, enum values
//! are added in their own step, drops come last and need consent.
//!
//! Produces data only; running it against a database is `apply.rs`'s job.

use serde::Serialize;

use super::compatibility_view;
use super::diff::Change;
use super::shadow_column::Shadow;
use crate::backends::postgres::model::*;
use crate::backends::postgres::quote::{ident, ident_list, literal};
use crate::backends::postgres::render::Renderer;
use crate::backends::postgres::{Options, RenameTables};
use crate::diagnostics::{codes, Code};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Additive: safe while the old application still runs.
    Expand,
    /// Data moved in batches.
    Backfill,
    /// Removes what the old application may still use.
    Contract,
}

/// A reason to look twice at a step; `schemac check` and `migrate new` fail
/// until it is acknowledged (`--allow CODE:object`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hazard {
    /// An H code of the diagnostics table (`schemac explain H0002`).
    pub code: Code,
    /// What it is about, as `--allow` names it: `order`, `order.note`.
    pub object: String,
    pub message: String,
}

impl Hazard {
    /// The `--allow` spelling: `H0002:order.note`.
    pub fn key(&self) -> String {
        format!("{}:{}", self.code, self.object)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// One line: what the step does.
    pub summary: String,
    pub phase: Phase,
    /// Statements, run in order.
    pub up: Vec<String>,
    /// The inverse statements; `None` when the step cannot be undone.
    pub down: Option<Vec<String>>,
    /// The strongest PostgreSQL lock the step takes, and on what.
    pub lock: String,
    pub rewrite: bool,
    /// Reads the whole table (validation, index build).
    pub scan: bool,
    /// Can run inside a transaction (CONCURRENTLY and batched backfills cannot).
    pub transactional: bool,
    pub hazards: Vec<Hazard>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub steps: Vec<Step>,
    /// Columns the plan re-creates through a shadow column, as (table,
    /// column) in the order they are added: after it they are the last
    /// columns of their tables, which the compiled state must say too.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub moved_columns: Vec<(String, String)>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    pub fn hazards(&self) -> impl Iterator<Item = &Hazard> {
        self.steps.iter().flat_map(|s| &s.hazards)
    }

    /// Whether every step can be undone.
    pub fn reversible(&self) -> bool {
        self.steps.iter().all(|s| s.down.is_some())
    }
}

/// Adds SQL the user wrote (`migrate new --data FILE`) as one step of the
/// backfill phase: after every expand and backfill step (the new tables and
/// columns exist), before the first contract step (nothing is dropped yet).
/// It cannot be undone by schemac, and its locks are whatever it takes.
pub fn insert_data_step(plan: &mut Plan, file: &str, sql: String) {
    let at = plan.steps.iter().position(|s| s.phase == Phase::Contract).unwrap_or(plan.steps.len());
    plan.steps.insert(
        at,
        Step {
            summary: format!("move data: {file} (written by hand)"),
            phase: Phase::Backfill,
            up: vec![sql],
            down: None,
            lock: "as the SQL takes them".into(),
            rewrite: false,
            scan: true,
            transactional: true,
            hazards: Vec::new(),
        },
    );
}

/// An explicit cast to a length-limited string type cuts longer values
/// instead of failing (PostgreSQL 15 checked: `'abcdef'::varchar(3)` is `abc`).
fn truncating(ty: &str) -> bool {
    ty.starts_with("character varying(") || ty.starts_with("character(")
}

/// The H0004 message of a type change that may not hold every old value.
fn narrowing(table: &str, column: &str, ty: &str) -> String {
    if truncating(ty) {
        format!("longer values of `{table}.{column}` are cut to fit {ty} (an explicit cast truncates)")
    } else {
        format!("values of `{table}.{column}` that do not fit {ty} make the step fail")
    }
}

/// Per-step settings written before each step's statements.
#[derive(Debug, Clone, Serialize)]
pub struct Timeouts {
    /// How long a step waits for a lock before giving up (PostgreSQL syntax).
    pub lock_timeout: String,
    /// How long one statement may run; `0` is no limit.
    pub statement_timeout: String,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts { lock_timeout: "5s".into(), statement_timeout: "0".into() }
    }
}

const ACCESS_EXCLUSIVE: &str = "ACCESS EXCLUSIVE";
const SHARE_UPDATE_EXCLUSIVE: &str = "SHARE UPDATE EXCLUSIVE";
const SHARE_ROW_EXCLUSIVE: &str = "SHARE ROW EXCLUSIVE";

/// Rows updated per transaction by a backfill.
const BACKFILL_BATCH: u32 = 5_000;

/// Pages of the table (8 kB each) filled per transaction by a shadow
/// column's backfill.
const BACKFILL_PAGES: u32 = 100;

/// Ordering of steps: creation forward in dependency order, drops backward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Order {
    Extension,
    Role,
    Helper,
    Type,
    DropViews,
    Rename,
    Table,
    Column,
    Constraint,
    ForeignKey,
    Validate,
    Index,
    Routine,
    View,
    Trigger,
    /// Policies before row-level security is turned on: no moment when a
    /// table with RLS on has no policy (and so shows no rows).
    Policy,
    RowSecurity,
    /// Roles before anything names them; privileges once every object exists.
    Grant,
    Comment,
    /// The views kept under renamed tables' old names, before the columns
    /// they read can be dropped.
    DropCompatibilityView,
    DropRoutine,
    DropForeignKey,
    DropIndex,
    DropConstraint,
    /// A shadow column takes the place of the old one (after the drops of
    /// the column's constraints and indexes, which go with it).
    SwapColumn,
    DropColumn,
    DropTable,
    /// Trigger functions after the tables whose triggers use them.
    DropTriggerFunction,
    DropType,
    /// schemac's helper functions (`schemac_uuid_v7`) go after the columns,
    /// tables and types that may still use them in a default.
    DropHelper,
}

struct Planner<'a> {
    r: Renderer<'a>,
    steps: Vec<(Order, usize, Step)>,
    /// While planning the drop half of a replacement: where it goes (right
    /// before the add) — it is not a removal, so no contract phase and no H0006.
    replacing: Option<Order>,
    /// The add half re-creates a foreign key over the same columns: the rows
    /// satisfied it already, so validation cannot fail (no H0004).
    revalidating: bool,
    /// Tables renamed behind a compatibility view (`[migrations] rename_tables`).
    rename_tables: RenameTables,
    /// Names that the new state gives to tables and views created by this
    /// plan: a renamed table's old name among them cannot be a view too.
    created: std::collections::BTreeSet<&'a str>,
}

/// Plans the changes between two states with the project's PostgreSQL settings.
pub fn plan(changes: &[Change], options: &Options) -> Plan {
    let created = changes
        .iter()
        .filter_map(|c| match c {
            Change::CreateTable(t) => Some(t.name.as_str()),
            Change::CreateView(v) => Some(v.name.as_str()),
            _ => None,
        })
        .collect();
    let mut planner = Planner {
        r: Renderer { schema: &options.schema },
        steps: Vec::new(),
        replacing: None,
        revalidating: false,
        rename_tables: options.rename_tables,
        created,
    };
    for change in changes {
        planner.change(change);
    }
    let mut steps = planner.steps;
    steps.sort_by_key(|(order, n, _)| (*order, *n));
    let steps = merge_privileges(steps.into_iter().map(|(order, _, s)| (order, s)).collect());
    let moved_columns = changes
        .iter()
        .filter_map(|c| match c {
            Change::ShadowColumn(s) => Some((s.table.clone(), s.new.name.clone())),
            _ => None,
        })
        .collect();
    Plan { steps, moved_columns }
}

/// Privileges are granted in one step (one transaction, so a role never
/// holds half of what the new state gives it): a fresh schema grants dozens.
fn merge_privileges(steps: Vec<(Order, Step)>) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::with_capacity(steps.len());
    let mut grants: Option<Step> = None;
    let mut count = 0;
    for (order, step) in steps {
        if order != Order::Grant {
            out.extend(grants.take());
            out.push(step);
            continue;
        }
        count += 1;
        grants = Some(match grants.take() {
            None => step,
            Some(mut merged) => {
                merged.summary = format!("grant privileges ({count} changes)");
                merged.up.extend(step.up);
                // Undone in reverse.
                let mut down = step.down.unwrap_or_default();
                down.extend(merged.down.take().unwrap_or_default());
                merged.down = Some(down);
                merged
            }
        });
    }
    out.extend(grants);
    out
}

fn step(summary: String, phase: Phase, up: Vec<String>, down: Option<Vec<String>>, lock: &str) -> Step {
    Step {
        summary,
        phase,
        up,
        down,
        lock: lock.to_string(),
        rewrite: false,
        scan: false,
        transactional: true,
        hazards: Vec::new(),
    }
}

fn hazard(code: Code, object: &str, message: String) -> Hazard {
    Hazard { code, object: object.to_string(), message }
}

impl Planner<'_> {
    fn push(&mut self, order: Order, mut step: Step) {
        let n = self.steps.len();
        let order = match self.replacing {
            Some(add) => {
                step.phase = Phase::Expand;
                // Removed only to be made again: nothing is lost or widened.
                step.hazards.retain(|h| ![codes::H0006, codes::H0010, codes::H0011].contains(&h.code));
                add
            }
            None => order,
        };
        self.steps.push((order, n, step));
    }

    fn t(&self, table: &str) -> String {
        self.r.name(table)
    }

    /// Drops what a failed concurrent build of `index` left behind (an
    /// INVALID index), without the notice PostgreSQL sends when there is
    /// none: a clean run stays silent.
    fn drop_leftover_index(&self, index: &str) -> Vec<String> {
        vec![
            "SET client_min_messages = warning".to_string(),
            format!("DROP INDEX CONCURRENTLY IF EXISTS {}", self.t(index)),
            "RESET client_min_messages".to_string(),
        ]
    }

    fn change(&mut self, change: &Change) {
        match change {
            Change::CreateExtension(e) => self.push(
                Order::Extension,
                step(
                    format!("create extension {e}"),
                    Phase::Expand,
                    vec![format!("CREATE EXTENSION IF NOT EXISTS {}", ident(e))],
                    // Undoing leaves the extension installed: it may have
                    // been there before, and other schemas may use it.
                    Some(Vec::new()),
                    "none",
                ),
            ),
            Change::CreateFunction(f) => {
                let mut sql = String::new();
                self.r.function(&mut sql, f);
                let kind = f.kind();
                let drop = self.r.drop_function(f);
                let order = if f.helper { Order::Helper } else { Order::Routine };
                self.push(
                    order,
                    step(
                        format!("create {} {}", kind.to_lowercase(), f.name),
                        Phase::Expand,
                        vec![sql],
                        Some(vec![drop]),
                        "none",
                    ),
                );
            }
            Change::ReplaceFunction { old, new } => {
                let (mut up, mut down) = (String::new(), String::new());
                self.r.function(&mut up, new);
                self.r.function(&mut down, old);
                let kind = new.kind();
                let same_signature = old.params == new.params && old.returns == new.returns;
                let (up, down) = if same_signature {
                    (
                        vec![up.replacen("CREATE ", "CREATE OR REPLACE ", 1)],
                        vec![down.replacen("CREATE ", "CREATE OR REPLACE ", 1)],
                    )
                } else {
                    (vec![self.r.drop_function(old), up], vec![self.r.drop_function(new), down])
                };
                let order = if new.helper { Order::Helper } else { Order::Routine };
                self.push(
                    order,
                    step(
                        format!("replace {} {}", kind.to_lowercase(), new.name),
                        Phase::Expand,
                        up,
                        Some(down),
                        "none",
                    ),
                );
            }
            Change::DropFunction(f) => {
                let kind = f.kind();
                let mut create = String::new();
                self.r.function(&mut create, f);
                let order = match () {
                    _ if f.helper => Order::DropHelper,
                    _ if f.returns == "trigger" => Order::DropTriggerFunction,
                    _ => Order::DropRoutine,
                };
                self.push(
                    order,
                    step(
                        format!("drop {} {}", kind.to_lowercase(), f.name),
                        Phase::Contract,
                        vec![self.r.drop_function(f)],
                        Some(vec![create]),
                        "none",
                    ),
                );
            }
            Change::CreateAggregate(a) => {
                let mut sql = String::new();
                self.r.aggregate(&mut sql, a);
                let drop = self.r.drop_aggregate(a);
                self.push(
                    Order::Routine,
                    step(format!("create aggregate {}", a.name), Phase::Expand, vec![sql], Some(vec![drop]), "none"),
                );
            }
            Change::ReplaceAggregate { old, new } => {
                let (mut up, mut down) = (String::new(), String::new());
                self.r.aggregate(&mut up, new);
                self.r.aggregate(&mut down, old);
                let (up, down) = (
                    up.replacen("CREATE ", "CREATE OR REPLACE ", 1),
                    down.replacen("CREATE ", "CREATE OR REPLACE ", 1),
                );
                self.push(
                    Order::Routine,
                    step(format!("replace aggregate {}", new.name), Phase::Expand, vec![up], Some(vec![down]), "none"),
                );
            }
            Change::DropAggregate(a) => {
                let mut create = String::new();
                self.r.aggregate(&mut create, a);
                self.push(
                    Order::DropRoutine,
                    step(
                        format!("drop aggregate {}", a.name),
                        Phase::Contract,
                        vec![self.r.drop_aggregate(a)],
                        Some(vec![create]),
                        "none",
                    ),
                );
            }
            Change::CreateEnum(e) => {
                let mut sql = String::new();
                self.r.enum_type(&mut sql, e);
                let drop = format!("DROP TYPE {}", self.t(&e.name));
                self.push(
                    Order::Type,
                    step(format!("create enum {}", e.name), Phase::Expand, vec![sql], Some(vec![drop]), "none"),
                );
            }
            Change::AddEnumValue { name, value, before } => {
                let position = before.as_ref().map_or(String::new(), |b| format!(" BEFORE {}", literal(b)));
                let sql = format!("ALTER TYPE {} ADD VALUE {}{position}", self.t(name), literal(value));
                // PostgreSQL cannot remove an enum value: no down.
                self.push(
                    Order::Type,
                    step(format!("add value {value} to enum {name}"), Phase::Expand, vec![sql], None, ACCESS_EXCLUSIVE),
                );
            }
            Change::RebuildEnum { old, new, columns } => self.rebuild_enum(old, new, columns),
            Change::DropEnum(e) => {
                let mut create = String::new();
                self.r.enum_type(&mut create, e);
                self.push(
                    Order::DropType,
                    step(
                        format!("drop enum {}", e.name),
                        Phase::Contract,
                        vec![format!("DROP TYPE {}", self.t(&e.name))],
                        Some(vec![create]),
                        "none",
                    ),
                );
            }
            Change::CreateDomain(d) => {
                let mut sql = String::new();
                self.r.domain(&mut sql, d);
                let drop = format!("DROP DOMAIN {}", self.t(&d.name));
                self.push(
                    Order::Type,
                    step(format!("create type {}", d.name), Phase::Expand, vec![sql], Some(vec![drop]), "none"),
                );
            }
            Change::ChangeDomainCheck { name, old, new } => self.domain_check(name, old, new),
            Change::DropDomain(d) => {
                let mut create = String::new();
                self.r.domain(&mut create, d);
                self.push(
                    Order::DropType,
                    step(
                        format!("drop type {}", d.name),
                        Phase::Contract,
                        vec![format!("DROP DOMAIN {}", self.t(&d.name))],
                        Some(vec![create]),
                        "none",
                    ),
                );
            }
            Change::RenameTable { old, new }
                if self.rename_tables == RenameTables::WithView && !self.created.contains(old.as_str()) =>
            {
                self.rename_with_view(old, new)
            }
            Change::RenameTable { old, new } => {
                let mut s = step(
                    format!("rename table {old} to {new}"),
                    Phase::Expand,
                    vec![format!("ALTER TABLE {} RENAME TO {}", self.t(old), ident(new))],
                    Some(vec![format!("ALTER TABLE {} RENAME TO {}", self.t(new), ident(old))]),
                    ACCESS_EXCLUSIVE,
                );
                s.hazards.push(hazard(
                    codes::H0005,
                    new,
                    format!("clients that still use `{old}` fail after the rename"),
                ));
                self.push(Order::Rename, s);
            }
            Change::RenameColumn { table, old, new } => {
                let t = self.t(table);
                let mut s = step(
                    format!("rename column {table}.{old} to {new}"),
                    Phase::Expand,
                    vec![format!("ALTER TABLE {t} RENAME COLUMN {} TO {}", ident(old), ident(new))],
                    Some(vec![format!("ALTER TABLE {t} RENAME COLUMN {} TO {}", ident(new), ident(old))]),
                    ACCESS_EXCLUSIVE,
                );
                s.hazards.push(hazard(
                    codes::H0005,
                    &format!("{table}.{new}"),
                    format!("clients that still use `{table}.{old}` fail after the rename"),
                ));
                self.push(Order::Rename, s);
            }
            Change::RenameConstraint { table, old, new } => {
                let t = self.t(table);
                self.push(
                    Order::Rename,
                    step(
                        format!("rename constraint {old} to {new}"),
                        Phase::Expand,
                        vec![format!("ALTER TABLE {t} RENAME CONSTRAINT {} TO {}", ident(old), ident(new))],
                        Some(vec![format!("ALTER TABLE {t} RENAME CONSTRAINT {} TO {}", ident(new), ident(old))]),
                        ACCESS_EXCLUSIVE,
                    ),
                );
            }
            Change::RenameObject { kind, on, old, new, params } => {
                let name = |n: &str| match (*kind, on) {
                    ("FUNCTION" | "PROCEDURE", _) => format!("{}({})", self.t(n), params.join(", ")),
                    (_, Some(table)) => format!("{} ON {}", ident(n), self.t(table)),
                    _ => self.t(n),
                };
                let rename = |from: &str, to: &str| format!("ALTER {kind} {} RENAME TO {}", name(from), ident(to));
                self.push(
                    Order::Rename,
                    step(
                        format!("rename {} {old} to {new}", kind.to_lowercase()),
                        Phase::Expand,
                        vec![rename(old, new)],
                        Some(vec![rename(new, old)]),
                        if *kind == "VIEW" || *kind == "POLICY" || *kind == "TRIGGER" {
                            ACCESS_EXCLUSIVE
                        } else {
                            "none"
                        },
                    ),
                );
            }
            Change::RenameIndex { old, new } => self.push(
                Order::Rename,
                step(
                    format!("rename index {old} to {new}"),
                    Phase::Expand,
                    vec![format!("ALTER INDEX {} RENAME TO {}", self.t(old), ident(new))],
                    Some(vec![format!("ALTER INDEX {} RENAME TO {}", self.t(new), ident(old))]),
                    SHARE_UPDATE_EXCLUSIVE,
                ),
            ),
            Change::RenameSequence { table, column, old, new } => {
                // Found by its column rather than by `old`: a database whose
                // sequence got another name (a clash, an earlier rename made
                // without this step) is renamed all the same.
                let rename = |to: &str| {
                    format!(
                        "DO $rename$ BEGIN EXECUTE format('ALTER SEQUENCE %s RENAME TO %I', \
                         pg_get_serial_sequence({}, {}), {}); END $rename$",
                        literal(&self.t(table)),
                        literal(column),
                        literal(to)
                    )
                };
                self.push(
                    Order::Rename,
                    step(
                        format!("rename sequence {old} to {new}"),
                        Phase::Expand,
                        vec![rename(new)],
                        Some(vec![rename(old)]),
                        ACCESS_EXCLUSIVE,
                    ),
                );
            }
            Change::CreateTable(t) => {
                let mut sql = String::new();
                self.r.table(&mut sql, t);
                let drop = format!("DROP TABLE {}", self.t(&t.name));
                self.push(
                    Order::Table,
                    step(format!("create table {}", t.name), Phase::Expand, vec![sql], Some(vec![drop]), "none"),
                );
            }
            Change::DropTable { table: t, lookalike } => {
                let mut s = step(
                    format!("drop table {}", t.name),
                    Phase::Contract,
                    vec![format!("DROP TABLE {}", self.t(&t.name))],
                    None,
                    ACCESS_EXCLUSIVE,
                );
                s.hazards.push(hazard(codes::H0001, &t.name, format!("every row of `{}` is deleted", t.name)));
                if let Some(new) = lookalike {
                    let message = format!(
                        "table `{}` is dropped and `{new}` created: if it was renamed, write `renamed_from` in the new entity to keep the rows; otherwise acknowledge the drop",
                        t.name
                    );
                    s.hazards.push(hazard(codes::H0009, &t.name, message));
                }
                self.push(Order::DropTable, s);
            }
            Change::AddPartition { table, partition } => {
                let mut sql = String::new();
                let only = Table { partitions: vec![partition.clone()], ..table.clone() };
                self.r.partitions(&mut sql, &only);
                let drop = format!("DROP TABLE {}", self.t(&partition.name));
                let mut s = step(
                    format!("add partition {}", partition.name),
                    Phase::Expand,
                    vec![sql],
                    Some(vec![drop]),
                    ACCESS_EXCLUSIVE,
                );
                s.scan = true; // the DEFAULT partition is checked for rows that now belong here
                self.push(Order::Table, s);
            }
            Change::DropPartition { table, partition } => {
                let mut s = step(
                    format!("drop partition {} of {table}", partition.name),
                    Phase::Contract,
                    vec![format!("DROP TABLE {}", self.t(&partition.name))],
                    None,
                    ACCESS_EXCLUSIVE,
                );
                s.hazards.push(hazard(
                    codes::H0007,
                    &partition.name,
                    format!("the rows in partition `{}` are deleted", partition.name),
                ));
                self.push(Order::DropTable, s);
            }
            Change::AddColumn { table, column } => self.add_column(table, column),
            Change::DropColumn { table, column, lookalike } => {
                let t = self.t(table);
                let mut s = step(
                    format!("drop column {table}.{}", column.name),
                    Phase::Contract,
                    vec![format!("ALTER TABLE {t} DROP COLUMN {}", ident(&column.name))],
                    None,
                    ACCESS_EXCLUSIVE,
                );
                s.hazards.push(hazard(
                    codes::H0002,
                    &format!("{table}.{}", column.name),
                    format!("the values of `{table}.{}` are deleted", column.name),
                ));
                if let Some(new) = lookalike {
                    let old = &column.name;
                    let message = format!(
                        "`{table}.{old}` is dropped and `{table}.{new}` added: if it was renamed, write `{new} … renamed_from {old}` to keep the data; otherwise acknowledge the drop"
                    );
                    s.hazards.push(hazard(codes::H0009, &format!("{table}.{old}"), message));
                }
                self.push(Order::DropColumn, s);
            }
            Change::ChangeColumnType { table, old, new } => self.change_type(table, old, new),
            Change::ChangeDefault { table, column, old, new } => {
                let t = self.t(table);
                let set = |d: &Option<String>| match d {
                    Some(d) => format!("ALTER TABLE {t} ALTER COLUMN {} SET DEFAULT {d}", ident(column)),
                    None => format!("ALTER TABLE {t} ALTER COLUMN {} DROP DEFAULT", ident(column)),
                };
                self.push(
                    Order::Column,
                    step(
                        format!("change the default of {table}.{column}"),
                        Phase::Expand,
                        vec![set(new)],
                        Some(vec![set(old)]),
                        ACCESS_EXCLUSIVE,
                    ),
                );
            }
            Change::SetIdentityKind { table, column, always } => {
                let t = self.t(table);
                let kind = |always: bool| if always { "ALWAYS" } else { "BY DEFAULT" };
                let set = |always: bool| {
                    format!("ALTER TABLE {t} ALTER COLUMN {} SET GENERATED {}", ident(column), kind(always))
                };
                self.push(
                    Order::Column,
                    step(
                        format!("make {table}.{column} generated {}", kind(*always).to_lowercase()),
                        Phase::Expand,
                        vec![set(*always)],
                        Some(vec![set(!*always)]),
                        ACCESS_EXCLUSIVE,
                    ),
                );
            }
            Change::SetNotNull { table, column } => self.set_not_null(table, column),
            Change::DropNotNull { table, column } => {
                let t = self.t(table);
                self.push(
                    Order::Column,
                    step(
                        format!("allow null in {table}.{column}"),
                        Phase::Expand,
                        vec![format!("ALTER TABLE {t} ALTER COLUMN {} DROP NOT NULL", ident(column))],
                        Some(vec![format!("ALTER TABLE {t} ALTER COLUMN {} SET NOT NULL", ident(column))]),
                        ACCESS_EXCLUSIVE,
                    ),
                );
            }
            Change::RecreateColumn { table, old, new } => {
                let t = self.t(table);
                let (mut add, mut add_old) = (String::new(), String::new());
                self.r.column(&mut add, new);
                self.r.column(&mut add_old, old);
                let drop = |c: &Column| format!("ALTER TABLE {t} DROP COLUMN {}", ident(&c.name));
                let mut s = step(
                    format!("make {table}.{} again (identity or generated expression changed)", new.name),
                    Phase::Expand,
                    vec![drop(old), format!("ALTER TABLE {t} ADD COLUMN {add}")],
                    old.generated.as_ref().map(|_| vec![drop(new), format!("ALTER TABLE {t} ADD COLUMN {add_old}")]),
                    ACCESS_EXCLUSIVE,
                );
                s.rewrite = true;
                s.hazards.push(hazard(
                    codes::H0003,
                    &format!("{table}.{}", new.name),
                    format!("`{table}` is rewritten to fill the new `{}`", new.name),
                ));
                if old.generated.is_none() {
                    s.hazards.push(hazard(
                        codes::H0002,
                        &format!("{table}.{}", new.name),
                        format!("the stored values of `{table}.{}` are replaced", new.name),
                    ));
                }
                self.push(Order::Column, s);
            }
            Change::AddPrimaryKey { table, key } => self.add_key(table, key, true),
            Change::DropPrimaryKey { table, key } => self.drop_key(table, key, true),
            Change::AddUnique { table, key } => self.add_key(table, key, false),
            Change::DropUnique { table, key } => self.drop_key(table, key, false),
            Change::AddCheck { table, check } => self.add_check(table, check),
            Change::DropCheck { table, check } => {
                let t = self.t(table);
                let mut s = step(
                    format!("drop check {} on {table}", check.name),
                    Phase::Contract,
                    vec![format!("ALTER TABLE {t} DROP CONSTRAINT {}", ident(&check.name))],
                    Some(vec![format!("ALTER TABLE {t} ADD CONSTRAINT {} CHECK ({})", ident(&check.name), check.expr)]),
                    ACCESS_EXCLUSIVE,
                );
                s.hazards.push(hazard(
                    codes::H0006,
                    &format!("{table}.{}", check.name),
                    format!("rows that break `{}` are accepted from now on", check.name),
                ));
                self.push(Order::DropConstraint, s);
            }
            Change::AddForeignKey { fk, fresh } => self.add_foreign_key(fk, *fresh),
            Change::DropForeignKey(fk) => {
                let t = self.t(&fk.table);
                let mut add = String::new();
                self.r.foreign_key(&mut add, fk);
                let mut s = step(
                    format!("drop foreign key {} on {}", fk.name, fk.table),
                    Phase::Contract,
                    vec![format!("ALTER TABLE {t} DROP CONSTRAINT {}", ident(&fk.name))],
                    Some(vec![add]),
                    ACCESS_EXCLUSIVE,
                );
                s.hazards.push(hazard(
                    codes::H0006,
                    &format!("{}.{}", fk.table, fk.name),
                    format!("`{}` no longer has to point at an existing `{}`", fk.table, fk.references),
                ));
                self.push(Order::DropForeignKey, s);
            }
            Change::CreateIndex { index, fresh, partitioned } => self.create_index(index, *fresh, *partitioned),
            Change::DropIndex { index: i, partitioned: true } => {
                // PostgreSQL drops an index of a partitioned table only with its
                // partitions' indexes, under an exclusive lock (no CONCURRENTLY).
                let create = self.r.index_statement(i);
                let s = step(
                    format!("drop index {} (partitioned table: not concurrently)", i.name),
                    Phase::Contract,
                    vec![format!("DROP INDEX IF EXISTS {}", self.t(&i.name))],
                    Some(vec![create]),
                    ACCESS_EXCLUSIVE,
                );
                self.push(Order::DropIndex, s);
            }
            Change::DropIndex { index: i, partitioned: false } => {
                let create = self.r.index_statement(i);
                self.push(Order::DropIndex, {
                    let mut s = step(
                        format!("drop index {}", i.name),
                        Phase::Contract,
                        vec![format!("DROP INDEX CONCURRENTLY IF EXISTS {}", self.t(&i.name))],
                        Some(vec![create.replacen(" INDEX ", " INDEX CONCURRENTLY ", 1)]),
                        SHARE_UPDATE_EXCLUSIVE,
                    );
                    s.transactional = false;
                    s
                });
            }
            Change::Comment { target, object, old, new } => {
                let set = |c: &Option<String>| {
                    format!("COMMENT ON {target} IS {}", c.as_deref().map_or("NULL".to_string(), literal))
                };
                self.push(
                    Order::Comment,
                    step(format!("comment on {object}"), Phase::Expand, vec![set(new)], Some(vec![set(old)]), "none"),
                );
            }
            Change::CreateView(v) => {
                let mut sql = String::new();
                self.r.view(&mut sql, v);
                let drop = self.r.drop_view(v);
                self.push(
                    Order::View,
                    step(format!("create view {}", v.name), Phase::Expand, vec![sql], Some(vec![drop]), "none"),
                );
            }
            Change::DropView(v) => {
                let mut create = String::new();
                self.r.view(&mut create, v);
                self.push(
                    Order::DropViews,
                    step(
                        format!("drop view {}", v.name),
                        Phase::Expand,
                        vec![self.r.drop_view(v)],
                        Some(vec![create]),
                        ACCESS_EXCLUSIVE,
                    ),
                );
            }
            Change::CreateTrigger(t) => {
                let mut sql = String::new();
                self.r.trigger(&mut sql, t);
                let drop = format!("DROP TRIGGER {} ON {}", ident(&t.name), self.t(&t.table));
                self.push(
                    Order::Trigger,
                    step(
                        format!("create trigger {} on {}", t.name, t.table),
                        Phase::Expand,
                        vec![sql],
                        Some(vec![drop]),
                        SHARE_ROW_EXCLUSIVE,
                    ),
                );
            }
            Change::DropTrigger(t) => {
                let mut create = String::new();
                self.r.trigger(&mut create, t);
                let drop = format!("DROP TRIGGER {} ON {}", ident(&t.name), self.t(&t.table));
                let mut s = step(
                    format!("drop trigger {} on {}", t.name, t.table),
                    Phase::Contract,
                    vec![drop],
                    Some(vec![create]),
                    ACCESS_EXCLUSIVE,
                );
                let what = t.comment.as_deref().map_or_else(String::new, |c| format!(" ({})", c.trim_end_matches('.')));
                s.hazards.push(hazard(
                    codes::H0010,
                    &format!("{}.{}", t.table, t.name),
                    format!("what the trigger did stops happening{what}"),
                ));
                self.push(Order::DropViews, s);
            }
            Change::AddExclusion { table, exclusion } => {
                let t = self.t(table);
                let name = ident(&exclusion.name);
                let mut s = step(
                    format!("add exclusion constraint {} on {table}", exclusion.name),
                    Phase::Expand,
                    vec![format!("ALTER TABLE {t} ADD CONSTRAINT {name} {}", self.r.exclusion(exclusion))],
                    Some(vec![format!("ALTER TABLE {t} DROP CONSTRAINT {name}")]),
                    ACCESS_EXCLUSIVE,
                );
                s.scan = true;
                s.hazards.push(hazard(
                    codes::H0004,
                    &format!("{table}.{}", exclusion.name),
                    format!("rows of `{table}` that conflict with each other make the step fail"),
                ));
                self.push(Order::Constraint, s);
            }
            Change::DropExclusion { table, exclusion } => {
                let t = self.t(table);
                let name = ident(&exclusion.name);
                let mut s = step(
                    format!("drop exclusion constraint {} on {table}", exclusion.name),
                    Phase::Contract,
                    vec![format!("ALTER TABLE {t} DROP CONSTRAINT {name}")],
                    Some(vec![format!("ALTER TABLE {t} ADD CONSTRAINT {name} {}", self.r.exclusion(exclusion))]),
                    ACCESS_EXCLUSIVE,
                );
                s.hazards.push(hazard(
                    codes::H0006,
                    &format!("{table}.{}", exclusion.name),
                    "conflicting rows are accepted from now on".into(),
                ));
                self.push(Order::DropConstraint, s);
            }
            Change::SetRowSecurity { table, from, to } => {
                let (up, down) = (self.r.row_security(table, *from, *to), self.r.row_security(table, *to, *from));
                let lines = |sql: String| sql.lines().map(|l| l.trim_end_matches(';').to_string()).collect();
                let stronger = to > from;
                let summary = match to {
                    RowSecurity::Off => "turn off row-level security",
                    RowSecurity::Enabled if stronger => "turn on row-level security",
                    RowSecurity::Enabled => "stop forcing row-level security",
                    RowSecurity::Forced => "turn on and force row-level security",
                };
                let mut s = step(
                    format!("{summary} on {table}"),
                    if stronger { Phase::Expand } else { Phase::Contract },
                    lines(up),
                    Some(lines(down)),
                    ACCESS_EXCLUSIVE,
                );
                if !stronger {
                    let who =
                        if *to == RowSecurity::Off { "every role with table privileges" } else { "the table's owner" };
                    s.hazards.push(hazard(
                        codes::H0011,
                        table,
                        format!("every row of `{table}` becomes visible to {who}"),
                    ));
                }
                self.push(if stronger { Order::RowSecurity } else { Order::DropViews }, s);
            }
            Change::CreateRole(role) => {
                let mut sql = String::new();
                self.r.role(&mut sql, role);
                self.push(
                    Order::Role,
                    // Undoing leaves the role: the cluster's other databases may use it.
                    step(
                        format!("create role {} if missing", role.name),
                        Phase::Expand,
                        vec![sql.trim_end().to_string()],
                        Some(Vec::new()),
                        "none",
                    ),
                );
            }
            Change::ChangeRole { old, new } => {
                let change = |from: &Role, to: &Role| {
                    let mut sql = Vec::new();
                    if from.login != to.login {
                        let login = if to.login { "LOGIN" } else { "NOLOGIN" };
                        sql.push(format!("ALTER ROLE {} {login}", ident(&to.name)));
                    }
                    for parent in to.member_of.iter().filter(|p| !from.member_of.contains(p)) {
                        sql.push(format!("GRANT {} TO {}", ident(parent), ident(&to.name)));
                    }
                    for parent in from.member_of.iter().filter(|p| !to.member_of.contains(p)) {
                        sql.push(format!("REVOKE {} FROM {}", ident(parent), ident(&to.name)));
                    }
                    if from.comment != to.comment {
                        let text = to.comment.as_deref().map_or("NULL".to_string(), literal);
                        sql.push(format!("COMMENT ON ROLE {} IS {text}", ident(&to.name)));
                    }
                    sql
                };
                self.push(
                    Order::Role,
                    step(
                        format!("change role {}", new.name),
                        Phase::Expand,
                        change(old, new),
                        Some(change(new, old)),
                        "none",
                    ),
                );
            }
            Change::GrantPrivilege(g) => self.push(
                Order::Grant,
                step(
                    format!("grant {} on {} to {}", g.privilege.to_lowercase(), g.object, g.role),
                    Phase::Expand,
                    vec![self.r.grant(g)],
                    Some(vec![self.r.revoke(g)]),
                    "none",
                ),
            ),
            Change::RevokePrivilege(g) => self.push(
                Order::DropViews,
                step(
                    format!("revoke {} on {} from {}", g.privilege.to_lowercase(), g.object, g.role),
                    Phase::Contract,
                    vec![self.r.revoke(g)],
                    Some(vec![self.r.grant(g)]),
                    "none",
                ),
            ),
            Change::PublicExecute { function, revoked } => {
                let (revoke, grant) = (
                    self.r.revoke_public(function),
                    format!("GRANT EXECUTE ON {} {} TO PUBLIC", function.kind(), self.r.signature(function)),
                );
                let (summary, up, down) = if *revoked {
                    ("revoke execute from public on", revoke, grant)
                } else {
                    ("grant execute to public on", grant, revoke)
                };
                self.push(
                    Order::Grant,
                    step(format!("{summary} {}", function.name), Phase::Expand, vec![up], Some(vec![down]), "none"),
                );
            }
            Change::CreatePolicy(p) => {
                let mut sql = String::new();
                self.r.policy(&mut sql, p);
                self.push(
                    Order::Policy,
                    step(
                        format!("create policy {} on {}", p.name, p.table),
                        Phase::Expand,
                        vec![sql.trim_end().to_string()],
                        Some(vec![self.r.drop_policy(p)]),
                        ACCESS_EXCLUSIVE,
                    ),
                );
            }
            Change::DropPolicy(p) => {
                let mut create = String::new();
                self.r.policy(&mut create, p);
                let mut s = step(
                    format!("drop policy {} on {}", p.name, p.table),
                    Phase::Contract,
                    vec![self.r.drop_policy(p)],
                    Some(vec![create.trim_end().to_string()]),
                    ACCESS_EXCLUSIVE,
                );
                let effect = if p.permissive {
                    "rows only it let through are refused from now on (all rows, if row-level security goes too)"
                } else {
                    "rows it held back become visible"
                };
                s.hazards.push(hazard(codes::H0011, &format!("{}.{}", p.table, p.name), effect.into()));
                self.push(Order::DropViews, s);
            }
            Change::Replace { drop, add } => {
                self.replacing = Some(order_of(add));
                self.change(drop);
                self.replacing = None;
                self.revalidating = match (drop.as_ref(), add.as_ref()) {
                    (Change::DropForeignKey(old), Change::AddForeignKey { fk, .. }) => {
                        old.columns == fk.columns
                            && old.references == fk.references
                            && old.referenced_columns == fk.referenced_columns
                    }
                    _ => false,
                };
                let first_add = self.steps.len();
                self.change(add);
                self.revalidating = false;
                self.merge_replacement(first_add);
            }
            Change::ShadowColumn(shadow) => self.shadow_column(shadow),
            Change::InPlace { change, why } => {
                let first = self.steps.len();
                self.change(change);
                for (_, _, s) in &mut self.steps[first..] {
                    s.summary = format!("{} (in place: {why})", s.summary);
                }
            }
            Change::Unsupported { object, why } => {
                let mut s = step(
                    format!("{object}: manual migration needed"),
                    Phase::Expand,
                    vec![format!("-- {object}: {why}")],
                    None,
                    "none",
                );
                s.hazards.push(hazard(codes::H0008, object, why.clone()));
                self.push(Order::Table, s);
            }
        }
    }

    /// A replacement's drop (the step before `first_add`) and its add's first
    /// step run in one transaction when both can: no moment without the object.
    fn merge_replacement(&mut self, first_add: usize) {
        if first_add == 0 || first_add >= self.steps.len() {
            return;
        }
        let (drop, add) = (&self.steps[first_add - 1].2, &self.steps[first_add].2);
        if !(drop.transactional && add.transactional) {
            return;
        }
        let (_, _, drop) = self.steps.remove(first_add - 1);
        let add = &mut self.steps[first_add - 1].2;
        add.summary = format!("{} (replacing the old one)", add.summary);
        add.up = drop.up.into_iter().chain(std::mem::take(&mut add.up)).collect();
        add.down = match (add.down.take(), drop.down) {
            (Some(a), Some(d)) => Some(a.into_iter().chain(d).collect()),
            _ => None,
        };
        if drop.lock == ACCESS_EXCLUSIVE {
            add.lock = ACCESS_EXCLUSIVE.into();
        }
        add.hazards.extend(drop.hazards);
    }

    /// Renames `old` to `new` and keeps a view called `old` over it until
    /// the contract phase: the view is made after every column change of
    /// the plan (a view pins the types of its columns) and dropped before
    /// any column is (it depends on them).
    fn rename_with_view(&mut self, old: &str, new: &str) {
        let (old_t, new_t) = (self.t(old), self.t(new));
        let rename = |from: &str, to: &str| format!("ALTER TABLE {} RENAME TO {}", self.t(from), ident(to));
        self.push(
            Order::Rename,
            step(
                format!("rename table {old} to {new}"),
                Phase::Expand,
                vec![rename(old, new)],
                Some(vec![rename(new, old)]),
                ACCESS_EXCLUSIVE,
            ),
        );
        let create = compatibility_view::create(&old_t, &new_t);
        let drop = compatibility_view::drop(&old_t);
        self.push(
            Order::View,
            step(
                format!("keep `{old}` as a view over {new} for clients that still use the old name"),
                Phase::Expand,
                create.clone(),
                Some(drop.clone()),
                ACCESS_EXCLUSIVE,
            ),
        );
        self.push(
            Order::DropCompatibilityView,
            step(
                format!("drop the view `{old}` kept for old clients"),
                Phase::Contract,
                drop,
                Some(create),
                ACCESS_EXCLUSIVE,
            ),
        );
    }

    /// A column type change or rename through a shadow column
    /// (`shadow_column.rs`): add it with the sync trigger, fill it, require
    /// it, build its indexes (expand, backfill); swap it in (contract).
    fn shadow_column(&mut self, s: &Shadow) {
        let (table, t) = (s.table.as_str(), self.t(&s.table));
        let (o, sh, c) = (ident(&s.old.name), ident(&s.shadow), ident(&s.new.name));
        let function = self.t(&s.trigger);
        let trigger = ident(&s.trigger);
        let what = if s.rename {
            format!("the rename of {table}.{} to {}", s.old.name, s.new.name)
        } else {
            format!("the type change of {table}.{} from {} to {}", s.old.name, s.old.ty, s.new.ty)
        };
        let sync = vec![
            s.sync_function(&function),
            format!(
                "CREATE TRIGGER {trigger} BEFORE INSERT OR UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION {function}()"
            ),
        ];
        let unsync = vec![format!("DROP TRIGGER {trigger} ON {t}"), format!("DROP FUNCTION {function}()")];
        let mut up = vec![format!("ALTER TABLE {t} ADD COLUMN {sh} {}", s.new.ty)];
        up.extend(sync.clone());
        let mut down = unsync.clone();
        down.push(format!("ALTER TABLE {t} DROP COLUMN {sh}"));
        self.push(
            Order::Column,
            step(
                format!(
                    "add {table}.{} ({}), kept in step with {table}.{} by a trigger, for {what}",
                    s.shadow, s.new.ty, s.old.name
                ),
                Phase::Expand,
                up,
                Some(down),
                ACCESS_EXCLUSIVE,
            ),
        );
        let mut backfill = step(
            format!(
                "fill {table}.{} from {table}.{} for existing rows, {BACKFILL_PAGES} pages at a time",
                s.shadow, s.old.name
            ),
            Phase::Backfill,
            vec![s.backfill(&t, BACKFILL_PAGES)],
            Some(Vec::new()),
            "ROW EXCLUSIVE",
        );
        backfill.transactional = false;
        backfill.scan = true;
        if s.old.ty != s.new.ty && !widening(&s.old.ty, &s.new.ty) {
            let mut message = narrowing(table, &s.old.name, &s.new.ty);
            if !truncating(&s.new.ty) {
                message.push_str(" (and, once the trigger is there, the writes that hold them)");
            }
            backfill.hazards.push(hazard(codes::H0004, &format!("{table}.{}", s.new.name), message));
        }
        self.push(Order::Column, backfill);
        if s.new.not_null {
            let first = self.steps.len();
            self.set_not_null(table, &s.shadow);
            if s.old.not_null {
                // Filled from a required column: the validation cannot fail.
                for (_, _, step) in &mut self.steps[first..] {
                    step.hazards.retain(|h| h.code != codes::H0004);
                }
            }
        }
        for (index, temporary) in &s.indexes {
            self.create_index(&Index { name: temporary.clone(), ..index.clone() }, false, false);
        }
        for (key, temporary) in &s.uniques {
            let columns: Vec<String> =
                key.columns.iter().map(|k| if *k == s.new.name { s.shadow.clone() } else { k.clone() }).collect();
            let mut build = step(
                format!("build the index of unique {} concurrently (on {table}.{})", key.name, s.shadow),
                Phase::Expand,
                {
                    let mut up = self.drop_leftover_index(temporary);
                    up.push(format!(
                        "CREATE UNIQUE INDEX CONCURRENTLY {} ON {t} USING btree ({})",
                        ident(temporary),
                        ident_list(&columns)
                    ));
                    up
                },
                Some(vec![format!("DROP INDEX CONCURRENTLY IF EXISTS {}", self.t(temporary))]),
                SHARE_UPDATE_EXCLUSIVE,
            );
            build.transactional = false;
            build.scan = true;
            build.hazards.push(hazard(
                codes::H0004,
                &format!("{table}.{}", key.name),
                format!("duplicate ({}) in `{table}` make the step fail", key.columns.join(", ")),
            ));
            self.push(Order::Index, build);
        }
        // The contract, in one transaction: no moment without the column.
        let mut up = unsync;
        up.push(format!("ALTER TABLE {t} DROP COLUMN {o}"));
        if !s.rename {
            up.push(format!("ALTER TABLE {t} RENAME COLUMN {sh} TO {c}"));
        }
        if let Some(default) = &s.new.default {
            up.push(format!("ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {default}"));
        }
        for (index, temporary) in &s.indexes {
            up.push(format!("ALTER INDEX {} RENAME TO {}", self.t(temporary), ident(&index.name)));
        }
        for (key, temporary) in &s.uniques {
            up.push(format!(
                "ALTER TABLE {t} ADD CONSTRAINT {} UNIQUE USING INDEX {}",
                ident(&key.name),
                ident(temporary)
            ));
        }
        if let Some(comment) = &s.new.comment {
            up.push(format!("COMMENT ON COLUMN {t}.{c} IS {}", literal(comment)));
        }
        // Undone: the old column made again and filled from the new one in
        // this transaction (a full update), its indexes built again.
        let mut down = Vec::new();
        for (key, _) in &s.uniques {
            down.push(format!("ALTER TABLE {t} DROP CONSTRAINT {}", ident(&key.name)));
        }
        for (index, temporary) in &s.indexes {
            down.push(format!("ALTER INDEX {} RENAME TO {}", self.t(&index.name), ident(temporary)));
        }
        if s.new.default.is_some() {
            down.push(format!("ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT"));
        }
        if s.new.comment.is_some() {
            down.push(format!("COMMENT ON COLUMN {t}.{c} IS NULL"));
        }
        if !s.rename {
            down.push(format!("ALTER TABLE {t} RENAME COLUMN {c} TO {sh}"));
        }
        for (key, temporary) in &s.uniques {
            let columns: Vec<String> =
                key.columns.iter().map(|k| if *k == s.new.name { s.shadow.clone() } else { k.clone() }).collect();
            down.push(format!(
                "CREATE UNIQUE INDEX {} ON {t} USING btree ({})",
                ident(temporary),
                ident_list(&columns)
            ));
        }
        let mut column = String::new();
        self.r.column(&mut column, &Column { not_null: false, ..s.old.clone() });
        down.push(format!("ALTER TABLE {t} ADD COLUMN {column}"));
        down.push(format!("UPDATE {t} SET {o} = {}", s.to_old(&sh)));
        if s.old.not_null {
            down.push(format!("ALTER TABLE {t} ALTER COLUMN {o} SET NOT NULL"));
        }
        for key in &s.old_uniques {
            down.push(format!(
                "ALTER TABLE {t} ADD CONSTRAINT {} UNIQUE ({})",
                ident(&key.name),
                ident_list(&key.columns)
            ));
        }
        for index in &s.old_indexes {
            down.push(self.r.index_statement(index));
        }
        if let Some(comment) = &s.old.comment {
            down.push(format!("COMMENT ON COLUMN {t}.{o} IS {}", literal(comment)));
        }
        down.extend(sync);
        self.push(
            Order::SwapColumn,
            step(
                format!(
                    "drop {table}.{} and its trigger, the shadow {} becomes the column, for {what}",
                    s.old.name, s.shadow
                ),
                Phase::Contract,
                up,
                Some(down),
                ACCESS_EXCLUSIVE,
            ),
        );
    }

    fn add_column(&mut self, table: &str, column: &Column) {
        let t = self.t(table);
        let drop = format!("ALTER TABLE {t} DROP COLUMN {}", ident(&column.name));
        let volatile = column.default.as_deref().is_some_and(is_volatile);
        if column.identity || column.serial || column.generated.is_some() {
            let mut sql = String::new();
            self.r.column(&mut sql, column);
            let mut s = step(
                format!("add column {table}.{}", column.name),
                Phase::Expand,
                vec![format!("ALTER TABLE {t} ADD COLUMN {sql}")],
                Some(vec![drop]),
                ACCESS_EXCLUSIVE,
            );
            s.rewrite = true;
            s.hazards.push(hazard(
                codes::H0003,
                &format!("{table}.{}", column.name),
                format!("`{table}` is rewritten to fill `{}` for every row", column.name),
            ));
            self.push(Order::Column, s);
        } else if volatile {
            // A volatile default would rewrite the table: add the column
            // empty, set the default for new rows, fill old rows in batches,
            // then require it.
            let bare = Column { default: None, not_null: false, ..column.clone() };
            let mut sql = String::new();
            self.r.column(&mut sql, &bare);
            let default = column.default.clone().unwrap_or_default();
            let c = ident(&column.name);
            self.push(
                Order::Column,
                step(
                    format!("add column {table}.{} (empty, default for new rows)", column.name),
                    Phase::Expand,
                    vec![
                        format!("ALTER TABLE {t} ADD COLUMN {sql}"),
                        format!("ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {default}"),
                    ],
                    Some(vec![drop]),
                    ACCESS_EXCLUSIVE,
                ),
            );
            let mut backfill = step(
                format!("fill {table}.{} for existing rows, {BACKFILL_BATCH} at a time", column.name),
                Phase::Backfill,
                vec![format!(
                    "DO $backfill$\nDECLARE n bigint;\nBEGIN\n  LOOP\n    UPDATE {t} SET {c} = {default} WHERE ctid IN (SELECT ctid FROM {t} WHERE {c} IS NULL LIMIT {BACKFILL_BATCH});\n    GET DIAGNOSTICS n = ROW_COUNT;\n    EXIT WHEN n = 0;\n    COMMIT;\n  END LOOP;\nEND\n$backfill$"
                )],
                Some(Vec::new()),
                "ROW EXCLUSIVE",
            );
            backfill.transactional = false;
            backfill.scan = true;
            self.push(Order::Column, backfill);
            if column.not_null {
                self.set_not_null(table, &column.name);
            }
            if let Some(comment) = &column.comment {
                self.push(
                    Order::Comment,
                    step(
                        format!("comment on {table}.{}", column.name),
                        Phase::Expand,
                        vec![format!("COMMENT ON COLUMN {t}.{c} IS {}", literal(comment))],
                        Some(Vec::new()),
                        "none",
                    ),
                );
            }
        } else {
            // A constant (or stable) default is stored once, not per row
            // (PostgreSQL 11+): no rewrite.
            let mut sql = String::new();
            self.r.column(&mut sql, column);
            let mut up = vec![format!("ALTER TABLE {t} ADD COLUMN {sql}")];
            if let Some(comment) = &column.comment {
                up.push(format!("COMMENT ON COLUMN {t}.{} IS {}", ident(&column.name), literal(comment)));
            }
            let mut s = step(
                format!("add column {table}.{}", column.name),
                Phase::Expand,
                up,
                Some(vec![drop]),
                ACCESS_EXCLUSIVE,
            );
            if column.not_null && column.default.is_none() {
                s.hazards.push(hazard(
                    codes::H0004,
                    &format!("{table}.{}", column.name),
                    format!(
                        "`{table}.{}` is required and has no default: the step fails if `{table}` has rows",
                        column.name
                    ),
                ));
            }
            self.push(Order::Column, s);
        }
    }

    /// NOT NULL without a long exclusive lock: a NOT VALID check, validated
    /// under a weaker lock; SET NOT NULL then uses it instead of scanning.
    fn set_not_null(&mut self, table: &str, column: &str) {
        let t = self.t(table);
        let c = ident(column);
        let check = ident(&crate::backends::postgres::names::fit(&format!("{table}_{column}_not_null")));
        self.push(
            Order::Constraint,
            step(
                format!("require {table}.{column}: add a NOT VALID check"),
                Phase::Expand,
                vec![format!("ALTER TABLE {t} ADD CONSTRAINT {check} CHECK ({c} IS NOT NULL) NOT VALID")],
                Some(vec![format!("ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {check}")]),
                ACCESS_EXCLUSIVE,
            ),
        );
        let mut validate = step(
            format!("require {table}.{column}: validate, set NOT NULL, drop the check"),
            Phase::Expand,
            vec![
                format!("ALTER TABLE {t} VALIDATE CONSTRAINT {check}"),
                format!("ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL"),
                format!("ALTER TABLE {t} DROP CONSTRAINT {check}"),
            ],
            Some(vec![format!("ALTER TABLE {t} ALTER COLUMN {c} DROP NOT NULL")]),
            SHARE_UPDATE_EXCLUSIVE,
        );
        validate.scan = true;
        validate.hazards.push(hazard(
            codes::H0004,
            &format!("{table}.{column}"),
            format!("rows where `{table}.{column}` is null make the step fail"),
        ));
        self.push(Order::Validate, validate);
    }

    fn change_type(&mut self, table: &str, old: &Column, new: &Column) {
        let t = self.t(table);
        let c = ident(&new.name);
        let alter = |ty: &str| format!("ALTER TABLE {t} ALTER COLUMN {c} TYPE {ty} USING {c}::{ty}");
        let coercible = binary_coercible(&old.ty, &new.ty);
        let mut s = step(
            format!("change the type of {table}.{} from {} to {}", new.name, old.ty, new.ty),
            Phase::Expand,
            vec![alter(&new.ty)],
            Some(vec![alter(&old.ty)]),
            ACCESS_EXCLUSIVE,
        );
        let object = format!("{table}.{}", new.name);
        if !coercible {
            s.rewrite = true;
            s.hazards.push(hazard(
                codes::H0003,
                &object,
                format!("`{table}` is rewritten under an exclusive lock to convert `{}`", new.name),
            ));
            if !widening(&old.ty, &new.ty) {
                s.hazards.push(hazard(codes::H0004, &object, narrowing(table, &new.name, &new.ty)));
            }
        }
        self.push(Order::Column, s);
    }

    fn add_key(&mut self, table: &str, key: &Key, primary: bool) {
        let t = self.t(table);
        let kind = if primary { "PRIMARY KEY" } else { "UNIQUE" };
        let name = ident(&key.name);
        // Build the index without blocking writes, then attach it.
        let mut build = step(
            format!("build the index of {} {} concurrently", if primary { "primary key" } else { "unique" }, key.name),
            Phase::Expand,
            {
                let mut up = self.drop_leftover_index(&key.name);
                up.push(format!(
                    "CREATE UNIQUE INDEX CONCURRENTLY {name} ON {t} USING btree ({})",
                    ident_list(&key.columns)
                ));
                up
            },
            Some(vec![format!("DROP INDEX CONCURRENTLY IF EXISTS {}", self.t(&key.name))]),
            SHARE_UPDATE_EXCLUSIVE,
        );
        build.transactional = false;
        build.scan = true;
        build.hazards.push(hazard(
            codes::H0004,
            &format!("{table}.{}", key.name),
            format!("duplicate ({}) in `{table}` make the step fail", key.columns.join(", ")),
        ));
        self.push(Order::Constraint, build);
        self.push(
            Order::Constraint,
            step(
                format!("add {} {} using its index", kind.to_lowercase(), key.name),
                Phase::Expand,
                vec![format!("ALTER TABLE {t} ADD CONSTRAINT {name} {kind} USING INDEX {name}")],
                Some(vec![format!("ALTER TABLE {t} DROP CONSTRAINT {name}")]),
                ACCESS_EXCLUSIVE,
            ),
        );
    }

    fn drop_key(&mut self, table: &str, key: &Key, primary: bool) {
        let t = self.t(table);
        let kind = if primary { "PRIMARY KEY" } else { "UNIQUE" };
        let mut s = step(
            format!("drop {} {} on {table}", kind.to_lowercase(), key.name),
            Phase::Contract,
            vec![format!("ALTER TABLE {t} DROP CONSTRAINT {}", ident(&key.name))],
            Some(vec![format!(
                "ALTER TABLE {t} ADD CONSTRAINT {} {kind} ({})",
                ident(&key.name),
                ident_list(&key.columns)
            )]),
            ACCESS_EXCLUSIVE,
        );
        s.hazards.push(hazard(
            codes::H0006,
            &format!("{table}.{}", key.name),
            format!("duplicate ({}) are accepted from now on", key.columns.join(", ")),
        ));
        self.push(Order::DropConstraint, s);
    }

    fn add_check(&mut self, table: &str, check: &Check) {
        let t = self.t(table);
        let name = ident(&check.name);
        self.push(
            Order::Constraint,
            step(
                format!("add check {} on {table} (NOT VALID)", check.name),
                Phase::Expand,
                vec![format!("ALTER TABLE {t} ADD CONSTRAINT {name} CHECK ({}) NOT VALID", check.expr)],
                Some(vec![format!("ALTER TABLE {t} DROP CONSTRAINT {name}")]),
                ACCESS_EXCLUSIVE,
            ),
        );
        let mut validate = step(
            format!("validate check {} on {table}", check.name),
            Phase::Expand,
            vec![format!("ALTER TABLE {t} VALIDATE CONSTRAINT {name}")],
            Some(Vec::new()),
            SHARE_UPDATE_EXCLUSIVE,
        );
        validate.scan = true;
        validate.hazards.push(hazard(
            codes::H0004,
            &format!("{table}.{}", check.name),
            format!("rows of `{table}` that break `{}` make the step fail", check.name),
        ));
        self.push(Order::Validate, validate);
    }

    fn add_foreign_key(&mut self, fk: &ForeignKey, fresh: bool) {
        let t = self.t(&fk.table);
        let mut add = String::new();
        self.r.foreign_key(&mut add, fk);
        let name = ident(&fk.name);
        let drop = format!("ALTER TABLE {t} DROP CONSTRAINT {name}");
        if fresh {
            // The table is new and empty: nothing to validate.
            self.push(
                Order::ForeignKey,
                step(
                    format!("add foreign key {} on {}", fk.name, fk.table),
                    Phase::Expand,
                    vec![add],
                    Some(vec![drop]),
                    SHARE_ROW_EXCLUSIVE,
                ),
            );
            return;
        }
        let statement = add.lines().next().unwrap_or_default().trim_end_matches(';').to_string();
        let mut up = vec![format!("{statement} NOT VALID")];
        if let Some(comment) = &fk.comment {
            up.push(format!("COMMENT ON CONSTRAINT {name} ON {t} IS {}", literal(comment)));
        }
        self.push(
            Order::ForeignKey,
            step(
                format!("add foreign key {} on {} (NOT VALID)", fk.name, fk.table),
                Phase::Expand,
                up,
                Some(vec![drop]),
                SHARE_ROW_EXCLUSIVE,
            ),
        );
        let mut validate = step(
            format!("validate foreign key {} on {}", fk.name, fk.table),
            Phase::Expand,
            vec![format!("ALTER TABLE {t} VALIDATE CONSTRAINT {name}")],
            Some(Vec::new()),
            SHARE_UPDATE_EXCLUSIVE,
        );
        validate.scan = true;
        if !self.revalidating {
            validate.hazards.push(hazard(
                codes::H0004,
                &format!("{}.{}", fk.table, fk.name),
                format!("rows of `{}` that point at no `{}` make the step fail", fk.table, fk.references),
            ));
        }
        self.push(Order::Validate, validate);
    }

    fn create_index(&mut self, i: &Index, fresh: bool, partitioned: bool) {
        if fresh {
            // The table is new and empty: build the index in its transaction.
            let mut sql = String::new();
            self.r.index(&mut sql, i);
            let drop = format!("DROP INDEX {}", self.t(&i.name));
            self.push(
                Order::Index,
                step(format!("create index {}", i.name), Phase::Expand, vec![sql], Some(vec![drop]), "SHARE"),
            );
            return;
        }
        let create = self.r.index_statement(i);
        // No CONCURRENTLY on a partitioned table: the build holds SHARE on
        // every partition, so writes wait until it ends.
        let (mut up, summary, drop, lock) = if partitioned {
            (
                vec![create],
                format!("create index {} (partitioned table: blocks writes while it builds)", i.name),
                format!("DROP INDEX IF EXISTS {}", self.t(&i.name)),
                "SHARE",
            )
        } else {
            // A build that failed half-way leaves an INVALID index: drop it first.
            let mut up = self.drop_leftover_index(&i.name);
            up.push(create.replacen(" INDEX ", " INDEX CONCURRENTLY ", 1));
            (
                up,
                format!("create index {} concurrently", i.name),
                format!("DROP INDEX CONCURRENTLY IF EXISTS {}", self.t(&i.name)),
                SHARE_UPDATE_EXCLUSIVE,
            )
        };
        if let Some(comment) = &i.comment {
            up.push(format!("COMMENT ON INDEX {} IS {}", self.t(&i.name), literal(comment)));
        }
        let mut s = step(summary, Phase::Expand, up, Some(vec![drop]), lock);
        s.transactional = partitioned;
        s.scan = true;
        if i.unique {
            s.hazards.push(hazard(
                codes::H0004,
                &format!("{}.{}", i.table, i.name),
                format!("duplicate rows in `{}` make the step fail", i.table),
            ));
        }
        self.push(Order::Index, s);
    }

    fn rebuild_enum(&mut self, old: &EnumType, new: &EnumType, columns: &[(String, String, Option<String>)]) {
        let ty = self.t(&new.name);
        let temporary = format!("{}_new", new.name);
        let mut create = String::new();
        self.r.enum_type(&mut create, &EnumType { name: temporary.clone(), labels: new.labels.clone(), comment: None });
        let mut up = vec![create.trim_end().trim_end_matches(';').to_string()];
        for (table, column, _) in columns {
            let c = ident(column);
            up.push(format!(
                "ALTER TABLE {} ALTER COLUMN {c} DROP DEFAULT, ALTER COLUMN {c} TYPE {} USING {c}::text::{}",
                self.t(table),
                self.t(&temporary),
                self.t(&temporary)
            ));
        }
        up.push(format!("DROP TYPE {ty}"));
        up.push(format!("ALTER TYPE {} RENAME TO {}", self.t(&temporary), ident(&new.name)));
        for (table, column, default) in columns {
            if let Some(default) = default {
                up.push(format!("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {default}", self.t(table), ident(column)));
            }
        }
        let mut s = step(
            format!("rebuild enum {} (values removed or reordered)", new.name),
            Phase::Expand,
            up,
            None,
            ACCESS_EXCLUSIVE,
        );
        s.rewrite = !columns.is_empty();
        let removed: Vec<&String> = old.labels.iter().filter(|l| !new.labels.contains(l)).collect();
        s.hazards.push(hazard(
            codes::H0003,
            &new.name,
            format!("every table with a `{}` column is rewritten", new.name),
        ));
        if !removed.is_empty() {
            s.hazards.push(hazard(
                codes::H0004,
                &new.name,
                format!(
                    "rows holding {} make the step fail",
                    removed.iter().map(|l| format!("`{l}`")).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        self.push(Order::Type, s);
    }

    fn domain_check(&mut self, name: &str, old: &Option<Check>, new: &Option<Check>) {
        let d = self.t(name);
        let drop = |c: &Check| format!("ALTER DOMAIN {d} DROP CONSTRAINT {}", ident(&c.name));
        let add =
            |c: &Check| format!("ALTER DOMAIN {d} ADD CONSTRAINT {} CHECK ({}) NOT VALID", ident(&c.name), c.expr);
        let mut up: Vec<String> = old.iter().map(drop).collect();
        up.extend(new.iter().map(add));
        let mut down: Vec<String> = new.iter().map(drop).collect();
        down.extend(old.iter().map(add));
        self.push(
            Order::Type,
            step(format!("change the check of type {name}"), Phase::Expand, up, Some(down), "SHARE"),
        );
        if let Some(c) = new {
            let mut validate = step(
                format!("validate the check of type {name}"),
                Phase::Expand,
                vec![format!("ALTER DOMAIN {d} VALIDATE CONSTRAINT {}", ident(&c.name))],
                Some(Vec::new()),
                "SHARE",
            );
            validate.scan = true;
            validate.hazards.push(hazard(
                codes::H0004,
                name,
                format!("stored values that break the check of `{name}` make the step fail"),
            ));
            self.push(Order::Validate, validate);
        }
    }
}

/// Where the add half of a replacement goes.
fn order_of(change: &Change) -> Order {
    match change {
        Change::AddForeignKey { .. } => Order::ForeignKey,
        Change::CreateIndex { .. } => Order::Index,
        Change::CreateTrigger(_) => Order::Trigger,
        Change::CreatePolicy(_) => Order::Policy,
        _ => Order::Constraint,
    }
}

/// Defaults whose value differs per row; adding a column with one rewrites
/// the table. `now()` is stable (one value per statement), so not listed.
fn is_volatile(default: &str) -> bool {
    ["gen_random_uuid()", "schemac_uuid_v7()", "clock_timestamp()", "random()", "nextval("]
        .iter()
        .any(|f| default.contains(f))
}

/// Type changes PostgreSQL makes without touching the rows (checked on 15):
/// varchar widened or to text, numeric precision widened at the same scale,
/// or constraints removed from numeric.
pub fn binary_coercible(old: &str, new: &str) -> bool {
    if old == new {
        return true;
    }
    if let (Some(a), Some(b)) = (varchar_length(old), varchar_length(new)) {
        return b >= a;
    }
    if varchar_length(old).is_some() && new == "text" {
        return true;
    }
    match (numeric_args(old), numeric_args(new)) {
        (Some(Some((p1, s1))), Some(Some((p2, s2)))) => s1 == s2 && p2 >= p1,
        (Some(_), Some(None)) => true,
        _ => false,
    }
}

/// Changes no value can fail: wider integers, varchar to text, longer
/// varchar, wider numeric.
fn widening(old: &str, new: &str) -> bool {
    const INTEGERS: [&str; 3] = ["smallint", "integer", "bigint"];
    let rank = |t: &str| INTEGERS.iter().position(|i| *i == t);
    if let (Some(a), Some(b)) = (rank(old), rank(new)) {
        return b >= a;
    }
    if (rank(old).is_some() || old.starts_with("numeric")) && new == "numeric" {
        return true;
    }
    binary_coercible(old, new) || new == "text"
}

fn varchar_length(ty: &str) -> Option<u32> {
    ty.strip_prefix("character varying(")?.strip_suffix(')')?.parse().ok()
}

/// `Some(None)` for unconstrained numeric, `Some(Some((p, s)))` otherwise.
fn numeric_args(ty: &str) -> Option<Option<(u32, u32)>> {
    if ty == "numeric" {
        return Some(None);
    }
    let (p, s) = ty.strip_prefix("numeric(")?.strip_suffix(')')?.split_once(',')?;
    Some(Some((p.trim().parse().ok()?, s.trim().parse().ok()?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coercible_type_changes_match_what_postgres_15_does_without_a_rewrite() {
        assert!(binary_coercible("character varying(10)", "character varying(20)"));
        assert!(binary_coercible("character varying(10)", "text"));
        assert!(binary_coercible("numeric(10,2)", "numeric(12,2)"));
        assert!(binary_coercible("numeric(10,2)", "numeric"));
        assert!(!binary_coercible("character varying(20)", "character varying(10)"));
        assert!(!binary_coercible("text", "character varying(10)"));
        assert!(!binary_coercible("integer", "bigint"));
        assert!(!binary_coercible("numeric(10,2)", "numeric(12,3)"));
        assert!(widening("integer", "bigint"));
        assert!(!widening("bigint", "integer"));
    }
}
