//! Synthetic data for `schemac analyze`: the SQL that fills a scratch
//! PostgreSQL database, built from the IR and the catalog the backend lowers
//! it to, so that EXPLAIN sees tables of the declared proportions.
//!
//! [`plan`] is pure: the same IR, catalog and scale give byte-identical
//! steps. [`load`] runs them in order on one session (the steps share
//! temporary tables) of a superuser (row-level security does not apply to
//! it), on a database where the schema's DDL was applied. Every constraint
//! and trigger stays on: values are made to satisfy the constraints, and
//! filtered by them where that cannot be proven by construction.
//!
//! # Rows
//!
//! - An entity with a `volume` gets `max(1, round(rows × scale))` rows; one
//!   without gets `max(100, round(1000 × scale))` ([`entity_rows`],
//!   [`Plan::rows`]).
//! - Fewer when a unique key allows no more: a one-to-one child at most one
//!   row per parent row, a pair key (a junction's) at most the product of
//!   its two parents' rows ([`Plan::notes`] says so).
//! - Tables that are not an entity's (history tables, the audit log) get no
//!   rows of their own; the patterns' triggers write them as usual.
//! - Where checks (or a tenant without a parent row) can reject candidates,
//!   `4 ×` the rows are generated and the first that pass are kept
//!   (`LIMIT`); a key collision drops a row (`ON CONFLICT DO NOTHING`).
//!   [`Loaded::short`] says when a table got fewer than 90% of its planned
//!   rows.
//!
//! # Values (what the index advisor predicts selectivity from)
//!
//! `g` is the candidate's number (1, 2, …); "uniform" is
//! `abs(hashint8extended(g, salt) % n)` with a salt per column (and per
//! purpose), so columns are independent of each other.
//!
//! - Every column is set, optional ones too, but identity and generated
//!   columns (PostgreSQL fills them), `deleted_at` of soft delete (set on
//!   one row in 10, to a time like the others) and the references below.
//! - Enums: uniform over the labels (over those an `in` check lists).
//!   Booleans: 50% true.
//! - References: uniform over the parent rows. For a tenant-isolated
//!   entity (its same-tenant trigger), one reference to a tenant-isolated
//!   parent — the anchor — is uniform over all parent rows and gives the row
//!   its tenant; the others are uniform over that tenant's parent rows.
//!   Without an anchor the tenant key is uniform over the tenants. A
//!   reference that is also a unique key takes distinct parents; a pair key
//!   `(a, b)` takes distinct pairs. Self-references and references closing
//!   a cycle are NULL on insert and set after every table is loaded, with
//!   the table's triggers off (no audit or history rows, times unchanged):
//!   a self-reference makes a forest (each row but the first of its tenant
//!   points at an earlier row of its tenant; a unique one at the row just
//!   before), others are uniform. A polymorphic reference points at one
//!   target, uniform over the targets.
//! - Time: `timestamptz`, `timestamp` and `date` uniform over
//!   `[now − span, now]`, span = volume rows ÷ growth per day days (365
//!   without growth; between 1 day and 10 years) ([`span_days`]); `time`
//!   uniform over the day; `interval` uniform from 1 minute to 30 days.
//! - Numbers: uniform over `[1, 1,000,000]` (`[1, 1,000]` for what a
//!   generated column reads, so products stay in range), with 2 decimals
//!   for numeric (at most its scale), real and double; narrowed by the
//!   type's range and by checks comparing the column with constants (`>`,
//!   `>=`, `<`, `<=`, `=`, `between`, `in`). In a unique key: a permutation
//!   of `g`, so distinct.
//! - Text: distinct per row, `<column>-<g>-` padded with an md5, of
//!   [`TEXT_BYTES`] characters (25 bytes on disk with the 1-byte header, as
//!   the storage estimate assumes); `varchar(n)`: `min(n, 48) / 2`; within
//!   `length` checks. A column (or its domain) checked by a regular
//!   expression gets values built from the expression (character classes,
//!   quantifiers, groups, the first of alternatives; `g` — or, outside
//!   unique keys, a uniform number — written in the widest class), so the
//!   standard `email`, `slug`, `url`, `phone`, `country_code` and `currency`
//!   pass by construction.
//! - uuid: `md5(column, salt, g)`, distinct. json: an object of about
//!   [`JSON_BYTES`] bytes (one of each member of its json shape, plus a
//!   padding member `_pad`). bytea: [`BYTES_BYTES`] bytes, distinct. Arrays:
//!   4 elements (text ones of 20 characters, from a pool of 1,000 per
//!   column). Encrypted or hashed personal data: 24 random-looking bytes.
//! - Range partitions: the past periods of the span get their partitions
//!   first (at most 120 per table; older rows go to the default partition,
//!   and a note says so).
//!
//! # Limits
//!
//! - A required self-reference, or a required reference closing a cycle of
//!   required references, cannot be loaded: the entity (and whatever
//!   requires it) stays empty, and a note says so.
//! - Checks beyond the forms above (comparing two columns, calling
//!   functions, `or`) only filter candidates: a table whose checks reject
//!   more than 3 candidates in 4 comes out short. A check that reads an
//!   identity or generated column cannot filter (PostgreSQL still checks
//!   it; a note says so). Regular expressions with back references,
//!   lookaround or word boundaries are not generated from (filtered only).
//! - A pair key whose second reference stays within a tenant can only pair
//!   the tenant's rows: with few rows per tenant, collisions make it short.
//! - User-written triggers run as they are (and may change rows).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::storage::{BYTES_BYTES, JSON_BYTES, TEXT_BYTES};
use crate::backends::postgres::lower::ENSURE_PARTITIONS;
use crate::backends::postgres::model::{self as pg, Catalog, PartitionBound};
use crate::backends::postgres::{quote, types};
use crate::semantic::ir::{
    BehaviourKind, BinaryOp, Cardinality, Entity, Expr, ForeignKey, Ir, JsonShape, ShapeKind, Type,
};

/// Rows of an entity that declares no `volume`, at scale 1.
pub const DEFAULT_ROWS: u64 = 1_000;
/// Rows of an entity without a `volume` never go below this, so its value
/// distributions stay visible.
pub const MIN_DEFAULT_ROWS: u64 = 100;
/// Days of history of an entity with no growth.
pub const DEFAULT_SPAN_DAYS: u64 = 365;
/// The longest history generated.
pub const MAX_SPAN_DAYS: u64 = 3_650;
/// One row in this many of a soft-deleting entity is marked deleted.
pub const DELETED_ONE_IN: u64 = 10;
/// Candidates generated per planned row.
pub const CANDIDATES_PER_ROW: u64 = 4;
/// Elements of a generated array.
pub const ARRAY_ELEMENTS: usize = 4;
/// Characters of a text element of an array (4 of them and the array
/// header make the 24 + 4 × 25 bytes the storage estimate assumes).
pub const ARRAY_TEXT_CHARS: u64 = 20;
/// Distinct text elements of arrays, per column.
pub const ARRAY_POOL: u64 = 1_000;
/// `work_mem` of the loading session.
pub const LOAD_WORK_MEM: &str = "256MB";
/// Range partitions made for the past, per table.
pub const MAX_PAST_PARTITIONS: u32 = 120;
/// Numbers are drawn from `[1, NUMBER_SPAN]` unless checks say otherwise.
const NUMBER_SPAN: i128 = 1_000_000;
/// … and from `[1, SMALL_NUMBER_SPAN]` when a generated column reads them.
const SMALL_NUMBER_SPAN: i128 = 1_000;
/// Tenants of a tenant key that references nothing.
const TENANT_POOL: u64 = 100;
/// `(g − 1) × PRIME mod m` permutes `0..m` for every `m < PRIME`.
const PRIME: i128 = 2_147_483_647;
/// No table gets more rows than this, whatever the scale.
const MAX_ROWS: u64 = 1_000_000_000;
/// The candidate number in generated SQL.
const G: &str = "series.g";

/// The statements that fill a database, in the order they must run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub steps: Vec<LoadStep>,
    /// Planned rows per entity table; 0 for those left empty.
    pub rows: BTreeMap<String, u64>,
    /// What could not be generated as described above, one sentence each.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StepKind {
    /// Creates the range partitions the generated times need.
    Partitions,
    /// Fills one table (one INSERT … SELECT).
    Insert,
    /// Numbers a loaded table's keys in temporary tables, for the tables
    /// that reference it.
    Keys,
    /// Sets (first) and resets (last) the session's `work_mem`: key tables
    /// hashed in one batch keep candidates in order, and load faster.
    Session,
    /// Turns a table's user triggers off or back on around [`StepKind::Link`].
    Triggers,
    /// Sets the references that were NULL on insert (one UPDATE).
    Link,
    /// Refreshes a table's statistics.
    Analyze,
    /// Drops the temporary tables.
    Cleanup,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadStep {
    pub kind: StepKind,
    /// The table the step is about (empty for `Session` and `Cleanup`).
    pub table: String,
    /// Rows an [`StepKind::Insert`] is planned to insert; 0 for the others.
    pub rows: u64,
    /// One statement for `Insert` and `Link`; possibly several for the others.
    pub sql: String,
}

/// What [`load`] inserted into one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub table: String,
    pub planned: u64,
    pub inserted: u64,
}

impl Loaded {
    /// More than 10% of the planned rows are missing (rejected by checks,
    /// or dropped as key collisions).
    pub fn short(&self) -> bool {
        self.inserted * 10 < self.planned * 9
    }
}

/// A step the server refused.
#[derive(Debug)]
pub struct LoadError {
    pub step: LoadStep,
    pub error: postgres::Error,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "loading synthetic data ({:?} step of `{}`) failed: ", self.step.kind, self.step.table)?;
        match self.error.as_db_error() {
            Some(db) => {
                write!(f, "{}", db.message())?;
                if let Some(detail) = db.detail() {
                    write!(f, " ({detail})")?;
                }
                Ok(())
            }
            None => write!(f, "{}", self.error),
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// Runs the steps in order on one session; returns the rows each table got.
pub fn load(client: &mut postgres::Client, steps: &[LoadStep]) -> Result<Vec<Loaded>, LoadError> {
    let mut loaded = Vec::new();
    for step in steps {
        let fail = |error| LoadError { step: step.clone(), error };
        match step.kind {
            StepKind::Insert => {
                let inserted = client.execute(step.sql.as_str(), &[]).map_err(fail)?;
                loaded.push(Loaded { table: step.table.clone(), planned: step.rows, inserted });
            }
            _ => client.batch_execute(&step.sql).map_err(fail)?,
        }
    }
    Ok(loaded)
}

/// Rows of an entity at a scale, before unique keys lower them.
pub fn entity_rows(entity: &Entity, scale: f64) -> u64 {
    let scaled = |rows: u64| (rows as f64 * scale).round().clamp(0.0, MAX_ROWS as f64) as u64;
    match &entity.volume {
        Some(volume) => scaled(volume.rows).max(1),
        None => scaled(DEFAULT_ROWS).max(MIN_DEFAULT_ROWS),
    }
}

/// Days the entity took to grow to its volume: the span its times cover.
pub fn span_days(entity: &Entity) -> u64 {
    let growth = entity.volume.as_ref().and_then(|v| v.growth_per_day.filter(|g| *g > 0).map(|g| (v.rows, g)));
    match growth {
        Some((rows, per_day)) => rows.div_ceil(per_day).clamp(1, MAX_SPAN_DAYS),
        None => DEFAULT_SPAN_DAYS,
    }
}

/// The steps that fill every entity table of `catalog` at `scale`.
pub fn plan(ir: &Ir, catalog: &Catalog, scale: f64) -> Plan {
    plan_capped(ir, catalog, scale, MAX_ROWS)
}

/// [`plan`], with no entity above `max_rows` rows (a quick run on a schema
/// whose largest entities dwarf the rest; the proportions change, which
/// `schemac analyze` allows for by predicting from the rows loaded).
pub fn plan_capped(ir: &Ir, catalog: &Catalog, scale: f64, max_rows: u64) -> Plan {
    let mut planner = Planner::new(ir, catalog);
    planner.max_rows = max_rows.max(1);
    let order = planner.order();
    planner.size(&order, scale);
    planner.steps(&order)
}

// ---------------------------------------------------------------------------
// The model: entity tables and their references.

/// How a reference picks its parent row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pick {
    /// Uniform over the parent rows.
    Uniform,
    /// A different parent row per row (a one-to-one key).
    Distinct,
    /// The first of a pair key: distinct rows as long as the rows fit.
    PairFirst,
    /// The second of a pair key: different for each row sharing the first.
    PairSecond { first: usize },
}

/// One target of a polymorphic reference.
#[derive(Debug, Clone, Copy)]
struct Alternative {
    index: usize,
    count: usize,
    salt: i64,
}

/// A foreign key of an entity table, as the generator fills it.
struct Reference<'a> {
    fk: &'a ForeignKey,
    /// The parent's index in `Planner::targets`.
    parent: usize,
    columns: Vec<String>,
    referenced: Vec<String>,
    required: bool,
    /// NULL on insert, set by a [`StepKind::Link`] step.
    deferred: bool,
    /// The parent row is chosen among those of the row's tenant.
    within_tenant: bool,
    pick: Pick,
    alternative: Option<Alternative>,
    salt: i64,
}

/// Where a tenant-isolated row's tenant comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TenantSource {
    /// The anchor reference's parent row's tenant.
    Anchor(usize),
    /// The tenant key's own reference, uniform over the tenants.
    Key(usize),
    /// A pool of tenant values (a tenant key that references nothing).
    Pool,
}

struct Target<'a> {
    entity: &'a Entity,
    table: &'a pg::Table,
    /// The tenant key column of a tenant-isolated entity.
    tenant: Option<String>,
    references: Vec<Reference<'a>>,
    tenant_source: Option<TenantSource>,
    /// Planned rows; 0 when the entity cannot be loaded.
    rows: u64,
    skipped: bool,
}

impl Target<'_> {
    /// The reference made by the tenant key alone.
    fn is_tenant_key(&self, r: &Reference) -> bool {
        self.tenant.as_ref().is_some_and(|t| r.columns.len() == 1 && &r.columns[0] == t)
    }
}

struct Planner<'a> {
    ir: &'a Ir,
    catalog: &'a Catalog,
    targets: Vec<Target<'a>>,
    notes: Vec<String>,
    /// No entity gets more rows than this.
    max_rows: u64,
}

impl<'a> Planner<'a> {
    fn new(ir: &'a Ir, catalog: &'a Catalog) -> Planner<'a> {
        let mut targets: Vec<Target<'a>> = ir
            .entities
            .iter()
            .filter_map(|entity| {
                let table = catalog.table(&entity.table)?;
                Some(Target {
                    entity,
                    table,
                    tenant: tenant_column(entity),
                    references: Vec::new(),
                    tenant_source: None,
                    rows: 0,
                    skipped: false,
                })
            })
            .collect();
        let index: BTreeMap<&str, usize> =
            targets.iter().enumerate().map(|(i, t)| (t.entity.name.as_str(), i)).collect();
        let references: Vec<Vec<Reference<'a>>> =
            targets.iter().map(|t| references(ir, t.entity, t.table, &index, &targets)).collect();
        for (target, refs) in targets.iter_mut().zip(references) {
            target.references = refs;
        }
        let mut planner = Planner { ir, catalog, targets, notes: Vec::new(), max_rows: MAX_ROWS };
        planner.self_references();
        planner
    }

    /// Self-references are filled after the insert; a required one cannot be.
    fn self_references(&mut self) {
        for i in 0..self.targets.len() {
            let target = &mut self.targets[i];
            for r in target.references.iter_mut().filter(|r| r.parent == i) {
                if r.required {
                    target.skipped = true;
                    self.notes.push(format!(
                        "`{}` is left empty: its required reference to itself ({}) cannot be filled",
                        target.entity.name,
                        r.columns.join(", ")
                    ));
                } else {
                    r.deferred = true;
                }
            }
        }
    }

    /// Parents before children. A cycle is broken at the first entity (by
    /// name) whose references into it are all optional: they are deferred.
    fn order(&mut self) -> Vec<usize> {
        let n = self.targets.len();
        let mut placed = vec![false; n];
        let mut order = Vec::with_capacity(n);
        while order.len() < n {
            let pending = |placed: &[bool], i: usize| -> Vec<usize> {
                self.targets[i]
                    .references
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| !r.deferred && r.parent != i && !placed[r.parent])
                    .map(|(k, _)| k)
                    .collect()
            };
            let ready = (0..n).find(|&i| !placed[i] && pending(&placed, i).is_empty());
            let next = match ready {
                Some(i) => i,
                None => {
                    let unplaced: Vec<usize> = (0..n).filter(|&i| !placed[i]).collect();
                    let optional =
                        |i: &usize| pending(&placed, *i).iter().all(|&k| !self.targets[*i].references[k].required);
                    let i = unplaced.iter().copied().find(optional).unwrap_or(unplaced[0]);
                    let stuck = pending(&placed, i);
                    let target = &mut self.targets[i];
                    for k in stuck {
                        let r = &mut target.references[k];
                        if r.required {
                            if !target.skipped {
                                self.notes.push(format!(
                                    "`{}` is left empty: its required reference ({}) is part of a cycle of required references",
                                    target.entity.name,
                                    r.columns.join(", ")
                                ));
                            }
                            target.skipped = true;
                        }
                        r.deferred = true;
                    }
                    i
                }
            };
            placed[next] = true;
            order.push(next);
        }
        order
    }

    /// Rows, pick modes and tenants, parents first.
    fn size(&mut self, order: &[usize], scale: f64) {
        for &i in order {
            self.pick_modes(i);
            self.choose_tenant_source(i);
            let rows = self.rows_of(i, scale);
            self.targets[i].rows = rows;
        }
    }

    fn rows_of(&mut self, i: usize, scale: f64) -> u64 {
        let target = &self.targets[i];
        if target.skipped {
            return 0;
        }
        let name = &target.entity.name;
        let mut rows = entity_rows(target.entity, scale).min(self.max_rows);
        for r in target.references.iter().filter(|r| !r.deferred) {
            let parent = &self.targets[r.parent];
            if r.required && r.alternative.is_none() && parent.rows == 0 {
                self.notes.push(format!(
                    "`{name}` is left empty: it requires a `{}` and that entity has no rows",
                    parent.entity.name
                ));
                return 0;
            }
            let cap = match r.pick {
                Pick::Distinct => parent.rows,
                Pick::PairSecond { first } => {
                    parent.rows.saturating_mul(self.targets[target.references[first].parent].rows)
                }
                _ => continue,
            };
            if cap < rows {
                self.notes.push(format!(
                    "`{name}` gets {cap} rows instead of {rows}: its unique key allows no more with the rows of `{}`",
                    parent.entity.name
                ));
                rows = cap;
            }
        }
        rows
    }

    /// Unique keys made only of references (and columns that cannot tell
    /// rows apart) make those references pick distinct parents or pairs.
    fn pick_modes(&mut self, i: usize) {
        let target = &self.targets[i];
        let entity = target.entity;
        let mut keys: Vec<Vec<String>> = Vec::new();
        if !entity.primary_key.is_empty() {
            keys.push(columns_of(entity, &entity.primary_key));
        }
        keys.extend(entity.uniques.iter().map(|u| columns_of(entity, &u.columns)));
        let referencing: BTreeSet<&str> =
            target.references.iter().flat_map(|r| r.columns.iter().map(String::as_str)).collect();
        let mut modes: Vec<Pick> = target.references.iter().map(|r| r.pick).collect();
        for key in &keys {
            let told_apart = key.iter().any(|c| !referencing.contains(c.as_str()) && self.tells_rows_apart(target, c));
            if told_apart {
                continue;
            }
            let mut members: Vec<usize> = (0..target.references.len())
                .filter(|&k| {
                    let r = &target.references[k];
                    r.alternative.is_none() && r.columns.iter().all(|c| key.contains(c))
                })
                .collect();
            if members.len() > 1 {
                members.retain(|&k| !target.is_tenant_key(&target.references[k]));
            }
            match members[..] {
                [] => {}
                [only] => {
                    if modes[only] == Pick::Uniform {
                        modes[only] = Pick::Distinct;
                    }
                }
                [first, second, ..] => {
                    let live = !target.references[first].deferred && !target.references[second].deferred;
                    if live && modes[first] == Pick::Uniform && modes[second] == Pick::Uniform {
                        modes[first] = Pick::PairFirst;
                        modes[second] = Pick::PairSecond { first };
                    }
                }
            }
        }
        for (r, mode) in self.targets[i].references.iter_mut().zip(modes) {
            r.pick = mode;
        }
    }

    /// Whether generated values of the column are (all but) distinct.
    fn tells_rows_apart(&self, target: &Target, column: &str) -> bool {
        let Some(c) = target.table.column(column) else { return false };
        if c.identity {
            return true;
        }
        let Some(field) = target.entity.fields.iter().find(|f| f.column == column) else { return false };
        let facts = facts_of(self.ir, target.entity, field);
        if facts.choices.is_some() {
            return false;
        }
        !matches!(
            resolve(self.ir, &field.ty).0,
            Type::Bool | Type::Enum { .. } | Type::Date | Type::Time { .. } | Type::Array { .. }
        )
    }

    /// The anchor of a tenant-isolated entity: the reference (to a
    /// tenant-isolated parent) whose parent row gives the row its tenant.
    fn choose_tenant_source(&mut self, i: usize) {
        let Some(tenant) = self.targets[i].tenant.clone() else { return };
        let tenant_isolated: Vec<bool> = self.targets.iter().map(|t| t.tenant.is_some()).collect();
        let rows: Vec<u64> = self.targets.iter().map(|t| t.rows).collect();
        let target = &mut self.targets[i];
        let tenant_key = target.references.iter().position(|r| !r.deferred && r.columns == [tenant.as_str()]);
        for (k, r) in target.references.iter_mut().enumerate() {
            r.within_tenant = tenant_isolated[r.parent] && Some(k) != tenant_key;
        }
        let rank = |r: &Reference| match r.pick {
            Pick::Distinct | Pick::PairFirst => 0,
            _ if r.required => 1,
            _ => 2,
        };
        let anchor = (0..target.references.len())
            .filter(|&k| {
                let r = &target.references[k];
                r.within_tenant && !r.deferred && r.alternative.is_none() && r.parent != i && rows[r.parent] > 0
            })
            .min_by_key(|&k| (rank(&target.references[k]), k));
        target.tenant_source = Some(match (anchor, tenant_key) {
            (Some(a), _) => {
                target.references[a].within_tenant = false;
                TenantSource::Anchor(a)
            }
            (None, Some(key)) => TenantSource::Key(key),
            (None, None) => TenantSource::Pool,
        });
        // Only a pick over all parent rows (the anchor's, or one outside
        // tenants) can be distinct: within a tenant, distinct and pair picks
        // (and the second of such a pair) are uniform, collisions dropped.
        let demoted: Vec<usize> = (0..target.references.len())
            .filter(|&k| {
                let r = &target.references[k];
                r.within_tenant && !r.deferred && matches!(r.pick, Pick::Distinct | Pick::PairFirst)
            })
            .collect();
        for r in target.references.iter_mut() {
            if matches!(r.pick, Pick::PairSecond { first } if demoted.contains(&first)) {
                r.pick = Pick::Uniform;
            }
        }
        for k in demoted {
            target.references[k].pick = Pick::Uniform;
        }
    }
}

/// The entity's foreign keys as references, with the targets of each
/// polymorphic relation numbered.
fn references<'a>(
    ir: &'a Ir,
    entity: &'a Entity,
    table: &pg::Table,
    index: &BTreeMap<&str, usize>,
    targets: &[Target<'a>],
) -> Vec<Reference<'a>> {
    let mut out = Vec::new();
    for fk in &entity.foreign_keys {
        let Some(&parent) = index.get(fk.references.as_str()) else { continue };
        let columns = columns_of(entity, &fk.columns);
        let referenced = columns_of(targets[parent].entity, &fk.referenced_columns);
        let required = columns.iter().all(|c| table.column(c).is_some_and(|c| c.not_null));
        let salt = salt(&[&entity.table, &columns.join(","), "reference"]);
        out.push(Reference {
            fk,
            parent,
            columns,
            referenced,
            required,
            deferred: false,
            within_tenant: false,
            pick: Pick::Uniform,
            alternative: None,
            salt,
        });
    }
    // The targets of one polymorphic relation, in declaration order.
    for relation in ir.relations.iter().filter(|r| r.cardinality == Cardinality::Polymorphic) {
        let members: Vec<usize> = (0..out.len()).filter(|&k| out[k].fk.relation == relation.id).collect();
        let arc_salt = salt(&[&entity.table, &relation.id, "target"]);
        for (index, &k) in members.iter().enumerate() {
            out[k].alternative = Some(Alternative { index, count: members.len(), salt: arc_salt });
        }
    }
    out
}

/// The tenant key column of an entity with `tenant_isolation(…)`.
fn tenant_column(entity: &Entity) -> Option<String> {
    let behaviour = entity.behaviours.iter().find(|b| b.kind == BehaviourKind::TenantIsolation)?;
    match behaviour.args.first() {
        Some(Expr::Column { name }) => Some(column_of(entity, name)),
        _ => None,
    }
}

fn column_of(entity: &Entity, field: &str) -> String {
    entity.field(field).map_or_else(|| field.to_string(), |f| f.column.clone())
}

fn columns_of(entity: &Entity, fields: &[String]) -> Vec<String> {
    fields.iter().map(|f| column_of(entity, f)).collect()
}

// ---------------------------------------------------------------------------
// Steps.

fn keys_table(i: usize) -> String {
    format!("schemac_keys_{i}")
}

fn counts_table(i: usize) -> String {
    format!("schemac_counts_{i}")
}

impl Planner<'_> {
    fn qualified(&self, table: &str) -> String {
        quote::qualified(&self.catalog.schema, table)
    }

    fn steps(mut self, order: &[usize]) -> Plan {
        let keyed = self.keyed();
        let session = |sql: &str| LoadStep { kind: StepKind::Session, table: String::new(), rows: 0, sql: sql.into() };
        let mut steps = vec![session(&format!("SET work_mem = '{LOAD_WORK_MEM}'"))];
        let mut rows = BTreeMap::new();
        for &i in order {
            let target = &self.targets[i];
            let table = target.table.name.clone();
            let step = |kind, rows, sql| LoadStep { kind, table: table.clone(), rows, sql };
            if target.rows == 0 {
                rows.insert(table.clone(), 0);
                continue;
            }
            let (insert, notes) = self.insert(i);
            self.notes.extend(notes);
            let target = &self.targets[i];
            rows.insert(table.clone(), if insert.is_some() { target.rows } else { 0 });
            if let Some(insert) = insert {
                if let Some((sql, note)) = self.partitions(target) {
                    steps.push(step(StepKind::Partitions, 0, sql));
                    self.notes.extend(note);
                }
                steps.push(step(StepKind::Insert, target.rows, insert));
            }
            // Made even for a table left empty: its children join it.
            if keyed.contains(&i) {
                steps.push(step(StepKind::Keys, 0, self.keys(i)));
            }
        }
        for &i in order {
            let (links, note) = self.links(i, &rows);
            steps.extend(links);
            self.notes.extend(note);
        }
        let entity_tables: BTreeSet<&str> = self.targets.iter().map(|t| t.table.name.as_str()).collect();
        for table in &self.catalog.tables {
            let name = table.name.as_str();
            if rows.get(name).is_some_and(|r| *r > 0) || !entity_tables.contains(name) {
                steps.push(LoadStep {
                    kind: StepKind::Analyze,
                    table: table.name.clone(),
                    rows: 0,
                    sql: format!("ANALYZE {}", self.qualified(name)),
                });
            }
        }
        if !keyed.is_empty() {
            let dropped: Vec<String> = keyed
                .iter()
                .flat_map(|&i| {
                    let counts = self.targets[i].tenant.as_ref().map(|_| format!("pg_temp.{}", counts_table(i)));
                    std::iter::once(format!("pg_temp.{}", keys_table(i))).chain(counts)
                })
                .collect();
            steps.push(LoadStep {
                kind: StepKind::Cleanup,
                table: String::new(),
                rows: 0,
                sql: format!("DROP TABLE IF EXISTS {}", dropped.join(", ")),
            });
        }
        steps.push(session("RESET work_mem"));
        Plan { steps, rows, notes: self.notes }
    }

    /// Targets whose keys are numbered: parents of references, and
    /// children of deferred ones (their rows are found again by key).
    fn keyed(&self) -> BTreeSet<usize> {
        let mut out = BTreeSet::new();
        for (i, target) in self.targets.iter().enumerate().filter(|(_, t)| t.rows > 0) {
            for r in &target.references {
                if self.targets[r.parent].rows > 0 {
                    out.insert(r.parent);
                    if r.deferred {
                        out.insert(i);
                    }
                }
            }
        }
        out
    }

    /// The columns a key table keeps: the primary key, then every column a
    /// reference to the table names.
    fn key_columns(&self, i: usize) -> Vec<String> {
        let target = &self.targets[i];
        let mut columns = columns_of(target.entity, &target.entity.primary_key);
        for other in &self.targets {
            for r in other.references.iter().filter(|r| r.parent == i) {
                for c in &r.referenced {
                    if !columns.contains(c) {
                        columns.push(c.clone());
                    }
                }
            }
        }
        columns
    }

    fn keys(&self, i: usize) -> String {
        let target = &self.targets[i];
        let columns = self.key_columns(i);
        let order = if columns.is_empty() { "ctid".to_string() } else { quote::ident_list(&columns) };
        let keys = keys_table(i);
        let mut select = vec![format!("row_number() OVER (ORDER BY {order}) AS schemac_rn")];
        if let Some(tenant) = &target.tenant {
            let tenant = quote::ident(tenant);
            select.push(format!("{tenant} AS schemac_tenant"));
            select.push(format!("row_number() OVER (PARTITION BY {tenant} ORDER BY {order}) AS schemac_trn"));
        }
        select.extend(columns.iter().map(|c| quote::ident(c)));
        let mut sql = format!(
            "DROP TABLE IF EXISTS pg_temp.{keys};\nCREATE TEMP TABLE {keys} AS\nSELECT {}\nFROM {};\n\
             CREATE UNIQUE INDEX ON pg_temp.{keys} (schemac_rn);\n",
            select.join(",\n       "),
            self.qualified(&target.table.name)
        );
        if target.tenant.is_some() {
            let counts = counts_table(i);
            sql.push_str(&format!(
                "CREATE INDEX ON pg_temp.{keys} (schemac_tenant, schemac_trn);\n\
                 DROP TABLE IF EXISTS pg_temp.{counts};\n\
                 CREATE TEMP TABLE {counts} AS\n\
                 SELECT schemac_tenant, count(*) AS schemac_count FROM pg_temp.{keys} GROUP BY schemac_tenant;\n\
                 ANALYZE pg_temp.{counts};\n"
            ));
        }
        sql.push_str(&format!("ANALYZE pg_temp.{keys};"));
        sql
    }

    /// Past range partitions for the generated times (a range series makes
    /// only the current period and those ahead), and a note when the span
    /// needs more than [`MAX_PAST_PARTITIONS`].
    fn partitions(&self, target: &Target) -> Option<(String, Option<String>)> {
        let parent = self.qualified(&target.table.name);
        let (step, unit, ahead) = target.table.partitions.iter().find_map(|p| match &p.bound {
            PartitionBound::RangeSeries { step, unit, ahead } => Some((step, unit, *ahead)),
            _ => None,
        })?;
        let span = span_days(target.entity);
        let count: f64 = step.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(1.0);
        let unit_days = match unit.as_str() {
            "second" => 1.0 / 86_400.0,
            "minute" => 1.0 / 1_440.0,
            "hour" => 1.0 / 24.0,
            "day" => 1.0,
            "week" => 7.0,
            "month" => 30.0,
            _ => 365.0,
        };
        let periods = span as f64 / (count * unit_days);
        let note = (periods > f64::from(MAX_PAST_PARTITIONS)).then(|| {
            format!(
                "`{}`: its {span} days need about {periods:.0} partitions of {step}; rows older than the last {MAX_PAST_PARTITIONS} go to the default partition",
                target.entity.name
            )
        });
        let schema = quote::literal(&self.catalog.schema);
        let table = quote::literal(&target.table.name);
        let body = format!(
            "
DECLARE
  step interval := {step_literal};
  upper_bound timestamp := date_trunc({unit_literal}, now() AT TIME ZONE 'UTC');
  lower_bound timestamp;
  oldest timestamp := (now() - interval '{oldest} days') AT TIME ZONE 'UTC';
  child text;
  made integer := 0;
BEGIN
  WHILE upper_bound > oldest AND made < {MAX_PAST_PARTITIONS} LOOP
    lower_bound := upper_bound - step;
    child := left({table}, 45) || '_p' || to_char(lower_bound,
      CASE WHEN {unit_literal} IN ('hour', 'minute', 'second') THEN 'YYYYMMDD\"t\"HH24MISS' ELSE 'YYYYMMDD' END);
    IF to_regclass(format('%I.%I', {schema}, child)) IS NULL THEN
      EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES FROM (%L) TO (%L)',
        {schema}, child, {schema}, {table},
        to_char(lower_bound, 'YYYY-MM-DD HH24:MI:SS') || '+00',
        to_char(upper_bound, 'YYYY-MM-DD HH24:MI:SS') || '+00');
    END IF;
    upper_bound := lower_bound;
    made := made + 1;
  END LOOP;
END
",
            step_literal = quote::literal(step),
            unit_literal = quote::literal(unit),
            oldest = span + 1,
        );
        let sql = format!(
            "CALL {}({}, {}, {}, {ahead});\nDO {};",
            self.qualified(ENSURE_PARTITIONS),
            quote::literal(&parent),
            quote::literal(step),
            quote::literal(unit),
            quote::dollar_quoted(&body)
        );
        Some((sql, note))
    }

    /// The INSERT of one table (None when a column cannot be generated),
    /// and what to say about it.
    fn insert(&self, i: usize) -> (Option<String>, Vec<String>) {
        let target = &self.targets[i];
        // Only when candidates can be rejected: otherwise the first rows are
        // exactly the candidates 1..rows, which distinct picks rely on.
        let candidates = if self.may_reject(i) { target.rows.saturating_mul(CANDIDATES_PER_ROW) } else { target.rows };
        let mut values: Vec<(String, String)> = Vec::new();
        let mut notes = Vec::new();
        let mut impossible = false;
        for column in target.table.columns.iter().filter(|c| !c.identity && c.generated.is_none()) {
            match self.column_value(target, i, column, candidates) {
                Some(v) => values.push((column.name.clone(), v)),
                None if column.not_null && column.default.is_none() => {
                    impossible = true;
                    notes.push(format!(
                        "`{}` is left empty: its column `{}` ({}) cannot be generated",
                        target.entity.name, column.name, column.ty
                    ));
                }
                None => notes.push(format!(
                    "`{}.{}` ({}) is not generated: it keeps its default",
                    target.table.name, column.name, column.ty
                )),
            }
        }
        if impossible {
            return (None, notes);
        }
        let filters = self.filters(i, &values, &mut notes);
        let table = self.qualified(&target.table.name);
        let mut sql = if values.is_empty() {
            format!("INSERT INTO {table}\nSELECT FROM (\n  SELECT")
        } else {
            let columns: Vec<&str> = values.iter().map(|(c, _)| c.as_str()).collect();
            let list = quote::ident_list(&columns);
            let select: Vec<String> = values.iter().map(|(c, v)| format!("{v} AS {}", quote::ident(c))).collect();
            format!("INSERT INTO {table} ({list})\nSELECT {list} FROM (\n  SELECT {}", select.join(",\n    "))
        };
        sql.push_str(&format!("\n  FROM generate_series(1::bigint, {candidates}::bigint) AS series(g)"));
        for join in self.joins(i) {
            sql.push_str("\n  ");
            sql.push_str(&join);
        }
        // OFFSET 0 keeps the filters out of the candidates' scan, whose
        // row estimate would otherwise drop to 1 and turn the joins into
        // nested loops over the key tables.
        sql.push_str("\n  OFFSET 0\n) AS s");
        if !filters.is_empty() {
            sql.push_str("\nWHERE ");
            sql.push_str(&filters.join("\n  AND "));
        }
        sql.push_str(&format!("\nLIMIT {}\nON CONFLICT DO NOTHING", target.rows));
        (Some(sql), notes)
    }

    /// One column's value as SQL over the candidate and its joined parents.
    fn column_value(&self, target: &Target, i: usize, column: &pg::Column, candidates: u64) -> Option<String> {
        if let Some(value) = self.reference_value(i, &column.name) {
            // A bare NULL in a subquery is text.
            return Some(if value == "NULL" { format!("NULL::{}", column.ty) } else { value });
        }
        let field = target.entity.fields.iter().find(|f| f.column == column.name)?;
        let spec = ValueSpec {
            ir: self.ir,
            schema: &self.catalog.schema,
            prefix: prefix(&column.name),
            salt: salt(&[&target.table.name, &column.name, "value"]),
            unique: self.in_unique_key(target, &column.name),
            small: generated_inputs(target.entity).contains(&field.name),
            facts: facts_of(self.ir, target.entity, field),
            span_days: span_days(target.entity),
            candidates,
            text_chars: TEXT_BYTES,
            pooled: false,
        };
        // Encrypted or hashed personal data is stored as bytes.
        let value = if column.ty == "bytea" && resolve(self.ir, &field.ty).0 != Type::Bytes {
            bytes(TEXT_BYTES)
        } else {
            spec.value(&field.ty)?
        };
        if soft_delete_column(target.entity).as_deref() == Some(column.name.as_str()) {
            return Some(format!("CASE WHEN {} = 0 THEN {value} END", spec.pick_with("deleted", DELETED_ONE_IN)));
        }
        Some(value)
    }

    /// Whether some candidates may fail: the table or a column's domain has
    /// a check, or a required parent is picked within a tenant that may
    /// have none.
    fn may_reject(&self, i: usize) -> bool {
        let target = &self.targets[i];
        let domain_checked = target.entity.fields.iter().any(|f| {
            let element = match &f.ty {
                Type::Array { element } => element.as_ref(),
                ty => ty,
            };
            !self.domain_checks(element).is_empty()
        });
        let within_tenant = target.references.iter().any(|r| r.required && r.within_tenant && !r.deferred);
        !target.table.checks.is_empty() || domain_checked || within_tenant
    }

    /// Whether a column is part of a unique key (so generated distinct).
    fn in_unique_key(&self, target: &Target, column: &str) -> bool {
        let entity = target.entity;
        std::iter::once(&entity.primary_key)
            .chain(entity.uniques.iter().map(|u| &u.columns))
            .any(|key| columns_of(entity, key).iter().any(|c| c == column))
    }

    /// The value of a reference column (or of the tenant key), if it is one.
    fn reference_value(&self, i: usize, column: &str) -> Option<String> {
        let target = &self.targets[i];
        if target.tenant.as_deref() == Some(column) {
            match target.tenant_source {
                Some(TenantSource::Anchor(_)) | Some(TenantSource::Pool) => return self.tenant_expr(i),
                _ => {}
            }
        }
        let (k, r) = target.references.iter().enumerate().find(|(_, r)| r.columns.iter().any(|c| c == column))?;
        if r.deferred || self.targets[r.parent].rows == 0 {
            return Some("NULL".into());
        }
        let position = r.columns.iter().position(|c| c == column)?;
        let value = format!("f{k}.{}", quote::ident(&r.referenced[position]));
        Some(match r.alternative {
            Some(a) => format!("CASE WHEN {} = {} THEN {value} END", pick_sql(G, a.salt, a.count as u64), a.index),
            None => value,
        })
    }

    /// The row's tenant, as SQL over the joined rows.
    fn tenant_expr(&self, i: usize) -> Option<String> {
        let target = &self.targets[i];
        let tenant = target.tenant.as_ref()?;
        Some(match target.tenant_source? {
            TenantSource::Anchor(a) => format!("f{a}.schemac_tenant"),
            TenantSource::Key(k) => {
                let r = &target.references[k];
                format!("f{k}.{}", quote::ident(&r.referenced[0]))
            }
            TenantSource::Pool => {
                let field = target.entity.fields.iter().find(|f| &f.column == tenant)?;
                let pick = pick_sql(G, salt(&[&target.table.name, tenant, "tenant"]), TENANT_POOL);
                match resolve(self.ir, &field.ty).0 {
                    Type::Uuid => format!("md5('tenant-' || {pick})::uuid"),
                    Type::SmallInt | Type::Int | Type::BigInt => format!("(1 + {pick})"),
                    Type::Text | Type::Varchar { .. } | Type::Char { .. } => format!("('t' || {pick})"),
                    _ => return None,
                }
            }
        })
    }

    /// The joins that pick each reference's parent row, anchor first.
    fn joins(&self, i: usize) -> Vec<String> {
        let target = &self.targets[i];
        let mut order: Vec<usize> = (0..target.references.len())
            .filter(|&k| {
                let r = &target.references[k];
                !r.deferred && self.targets[r.parent].rows > 0
            })
            .collect();
        let tenant = match target.tenant_source {
            Some(TenantSource::Anchor(a)) => {
                order.retain(|&k| !target.is_tenant_key(&target.references[k]));
                Some(a)
            }
            Some(TenantSource::Key(k)) => Some(k),
            _ => None,
        };
        // Firsts of pairs (never within a tenant) before the second, which
        // may be the anchor; the anchor (or tenant key) before the picks
        // within its tenant.
        let rank = |k: &usize| {
            let r = &target.references[*k];
            let first = matches!(r.pick, Pick::Distinct | Pick::PairFirst);
            (!first, Some(*k) != tenant, *k)
        };
        order.sort_by_key(rank);
        let tenant = self.tenant_expr(i);
        order.iter().flat_map(|&k| self.join(i, k, tenant.as_deref())).collect()
    }

    fn join(&self, i: usize, k: usize, tenant: Option<&str>) -> Vec<String> {
        let target = &self.targets[i];
        let r = &target.references[k];
        let keys = format!("pg_temp.{}", keys_table(r.parent));
        let anchor = target.tenant_source == Some(TenantSource::Anchor(k));
        let kind = if (r.required || anchor) && r.alternative.is_none() { "JOIN" } else { "LEFT JOIN" };
        let total = |parent: usize| format!("(SELECT max(schemac_rn) FROM pg_temp.{})", keys_table(parent));
        let second = |count: &str, first: usize| {
            let first_parent = target.references[first].parent;
            format!(
                "((({G} - 1) / {} + abs(hashint8extended(f{first}.schemac_rn, {}) % {count})) % {count})",
                total(first_parent),
                r.salt
            )
        };
        match (r.within_tenant, tenant) {
            (true, Some(tenant)) => {
                let counts = format!("pg_temp.{}", counts_table(r.parent));
                let count = format!("c{k}.schemac_count");
                let pick = match r.pick {
                    Pick::PairSecond { first } => second(&count, first),
                    _ => pick_sql(G, r.salt, &count),
                };
                vec![
                    format!("{kind} {counts} AS c{k} ON c{k}.schemac_tenant = {tenant}"),
                    format!(
                        "{kind} {keys} AS f{k} ON f{k}.schemac_tenant = {tenant} AND f{k}.schemac_trn = 1 + {pick}"
                    ),
                ]
            }
            _ => {
                let count = total(r.parent);
                let pick = match r.pick {
                    Pick::Uniform => pick_sql(G, r.salt, &count),
                    Pick::Distinct | Pick::PairFirst => format!("(({G} - 1) * {PRIME} % {count})"),
                    Pick::PairSecond { first } => second(&count, first),
                };
                vec![format!("{kind} {keys} AS f{k} ON f{k}.schemac_rn = 1 + {pick}")]
            }
        }
    }

    /// The conditions candidates must pass: the table's checks and the
    /// checks of the columns' domains.
    fn filters(&self, i: usize, values: &[(String, String)], notes: &mut Vec<String>) -> Vec<String> {
        let target = &self.targets[i];
        let present: BTreeSet<&str> = values.iter().map(|(c, _)| c.as_str()).collect();
        let columns: BTreeSet<&str> = target.table.columns.iter().map(|c| c.name.as_str()).collect();
        let mut out = Vec::new();
        for check in &target.table.checks {
            let missing: Vec<String> = identifiers(&check.expr)
                .into_iter()
                .filter(|n| columns.contains(n.as_str()) && !present.contains(n.as_str()))
                .collect();
            if missing.is_empty() {
                out.push(format!("({})", check.expr));
            } else {
                notes.push(format!(
                    "`{}`: check `{}` reads {} (not generated), so candidates are not filtered by it",
                    target.table.name,
                    check.name,
                    missing.join(", ")
                ));
            }
        }
        for (column, _) in values {
            let Some(field) = target.entity.fields.iter().find(|f| &f.column == column) else { continue };
            if target.table.column(column).is_some_and(|c| c.ty == "bytea") && !matches!(field.ty, Type::Bytes) {
                continue;
            }
            let (element, array) = match &field.ty {
                Type::Array { element } => (element.as_ref(), true),
                ty => (ty, false),
            };
            for check in self.domain_checks(element) {
                out.push(if array {
                    // A domain check holds for every element (NULL passes).
                    format!(
                        "((SELECT bool_and({}) FROM unnest({}) AS e(elem)) IS NOT FALSE)",
                        replace_value(check, "e.elem"),
                        quote::ident(column)
                    )
                } else {
                    format!("({})", replace_value(check, &quote::ident(column)))
                });
            }
        }
        out
    }

    /// The checks of the domains a type passes through, as the catalog
    /// spells them (on `VALUE`).
    fn domain_checks(&self, ty: &Type) -> Vec<&str> {
        resolve(self.ir, ty)
            .1
            .iter()
            .filter_map(|domain| {
                let name = types::type_name(&domain.name);
                let found = self.catalog.domains.iter().find(|d| d.name == name)?;
                found.check.as_ref().map(|c| c.expr.as_str())
            })
            .collect()
    }

    /// Sets the deferred references of a table, triggers off.
    fn links(&self, i: usize, rows: &BTreeMap<String, u64>) -> (Vec<LoadStep>, Option<String>) {
        let target = &self.targets[i];
        let loaded = |t: &Target| rows.get(&t.table.name).is_some_and(|r| *r > 0);
        if !loaded(target) {
            return (Vec::new(), None);
        }
        let deferred: Vec<usize> = (0..target.references.len())
            .filter(|&k| {
                let r = &target.references[k];
                r.deferred && loaded(&self.targets[r.parent])
            })
            .collect();
        if deferred.is_empty() {
            return (Vec::new(), None);
        }
        if target.entity.primary_key.is_empty() {
            let note = format!(
                "`{}` has no primary key: the references filled after the insert ({}) stay NULL",
                target.entity.name,
                deferred.iter().map(|&k| target.references[k].columns.join(", ")).collect::<Vec<_>>().join("; ")
            );
            return (Vec::new(), Some(note));
        }
        let table = self.qualified(&target.table.name);
        let name = &target.table.name;
        let step = |kind, sql: String| LoadStep { kind, table: name.clone(), rows: 0, sql };
        let mut steps = vec![step(StepKind::Triggers, format!("ALTER TABLE {table} DISABLE TRIGGER USER"))];
        steps.extend(deferred.iter().map(|&k| step(StepKind::Link, self.link(i, k))));
        steps.push(step(StepKind::Triggers, format!("ALTER TABLE {table} ENABLE TRIGGER USER")));
        (steps, None)
    }

    fn link(&self, i: usize, k: usize) -> String {
        let target = &self.targets[i];
        let r = &target.references[k];
        let keys = format!("pg_temp.{}", keys_table(i));
        let parent_keys = format!("pg_temp.{}", keys_table(r.parent));
        let set: Vec<String> = r
            .columns
            .iter()
            .zip(&r.referenced)
            .map(|(c, p)| format!("{} = p.{}", quote::ident(c), quote::ident(p)))
            .collect();
        let pk = columns_of(target.entity, &target.entity.primary_key);
        let same_row: Vec<String> = pk.iter().map(|c| format!("t.{0} = k.{0}", quote::ident(c))).collect();
        let hash = |modulus: &str| pick_sql("k.schemac_rn", r.salt, modulus);
        let distinct = matches!(r.pick, Pick::Distinct);
        let (join, condition) = match (r.parent == i, r.within_tenant) {
            (true, false) if distinct => (String::new(), "p.schemac_rn = k.schemac_rn - 1".to_string()),
            (true, false) => {
                (String::new(), format!("k.schemac_rn > 1 AND p.schemac_rn = 1 + {}", hash("(k.schemac_rn - 1)")))
            }
            (true, true) if distinct => {
                (String::new(), "p.schemac_tenant = k.schemac_tenant AND p.schemac_trn = k.schemac_trn - 1".to_string())
            }
            (true, true) => (
                String::new(),
                format!(
                    "k.schemac_trn > 1 AND p.schemac_tenant = k.schemac_tenant AND p.schemac_trn = 1 + {}",
                    hash("(k.schemac_trn - 1)")
                ),
            ),
            (false, false) if distinct => (String::new(), "p.schemac_rn = k.schemac_rn".to_string()),
            (false, false) => (
                String::new(),
                format!("p.schemac_rn = 1 + {}", hash(&format!("(SELECT max(schemac_rn) FROM {parent_keys})"))),
            ),
            (false, true) => (
                format!("\nJOIN pg_temp.{} AS c ON c.schemac_tenant = k.schemac_tenant", counts_table(r.parent)),
                format!("p.schemac_tenant = k.schemac_tenant AND p.schemac_trn = 1 + {}", hash("c.schemac_count")),
            ),
        };
        format!(
            "UPDATE {} AS t SET {}\nFROM {keys} AS k{join}\nJOIN {parent_keys} AS p ON {condition}\nWHERE {}",
            self.qualified(&target.table.name),
            set.join(", "),
            same_row.join(" AND ")
        )
    }
}

/// `deleted_at` of a soft-deleting entity.
fn soft_delete_column(entity: &Entity) -> Option<String> {
    let behaviour = entity.behaviours.iter().find(|b| b.kind == BehaviourKind::SoftDelete)?;
    match behaviour.args.first() {
        Some(Expr::Column { name }) => Some(column_of(entity, name)),
        _ => None,
    }
}

/// Fields a generated column reads (kept small so the result fits its type).
fn generated_inputs(entity: &Entity) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for field in &entity.fields {
        if let Some(expr) = &field.generated {
            expr.visit(&mut |e| {
                if let Expr::Column { name } = e {
                    out.insert(name.clone());
                }
            });
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Values.

/// `abs(hash % m)`: uniform over `0..m`, independent per salt.
fn pick_sql(of: &str, salt: i64, modulus: impl fmt::Display) -> String {
    format!("abs(hashint8extended({of}, {salt}) % {modulus})")
}

/// A stable salt from names (FNV-1a), positive and within `bigint`.
fn salt(parts: &[&str]) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    (hash >> 2) as i64
}

/// The start of a column's text values: its name, lowercase letters and
/// digits, at most 8 characters.
fn prefix(column: &str) -> String {
    let out: String = column.chars().filter(|c| c.is_ascii_alphanumeric()).take(8).collect();
    if out.is_empty() {
        "v".into()
    } else {
        out.to_ascii_lowercase()
    }
}

fn digits(n: u64) -> u64 {
    u64::from(n.max(1).ilog10()) + 1
}

/// `n` bytes, distinct per row.
fn bytes(n: u64) -> String {
    format!("decode(rpad(md5({G}::text), {}, md5({G}::text || 'b')), 'hex')", 2 * n.max(16))
}

/// A domain's base type (following domains over domains), with the domains
/// passed through, outermost first.
fn resolve<'i>(ir: &'i Ir, ty: &Type) -> (Type, Vec<&'i crate::semantic::ir::Domain>) {
    let mut domains = Vec::new();
    let mut ty = ty.clone();
    while let Type::Domain { name } = &ty {
        let Some(domain) = ir.domains.iter().find(|d| &d.name == name) else { break };
        if domains.iter().any(|d: &&crate::semantic::ir::Domain| d.name == domain.name) {
            break;
        }
        domains.push(domain);
        ty = domain.base.clone();
    }
    (ty, domains)
}

/// A literal a check compares a column with.
#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Number(f64),
    Text(String),
    Bool(bool),
}

/// What checks say about one column's values.
#[derive(Debug, Clone, Default, PartialEq)]
struct Facts {
    /// Lower and upper bounds, each with whether it is included.
    low: Option<(f64, bool)>,
    high: Option<(f64, bool)>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    /// A regular expression the value matches (`~`).
    pattern: Option<String>,
    /// The values allowed (`in (…)`, `==`).
    choices: Option<Vec<Literal>>,
}

/// The facts the entity's checks and the field's domains state about it.
fn facts_of(ir: &Ir, entity: &Entity, field: &crate::semantic::ir::Field) -> Facts {
    let mut facts = Facts::default();
    for check in &entity.checks {
        gather(&check.expr, &field.name, &mut facts);
    }
    domain_facts(ir, &field.ty, &mut facts);
    facts
}

/// Adds what the checks of the domains `ty` passes through say.
fn domain_facts(ir: &Ir, ty: &Type, facts: &mut Facts) {
    for domain in resolve(ir, ty).1 {
        if let Some(check) = &domain.check {
            gather(check, "value", facts);
        }
    }
}

/// Collects facts about `name` from the conjuncts of a condition.
fn gather(expr: &Expr, name: &str, facts: &mut Facts) {
    let is_column = |e: &Expr| matches!(e, Expr::Column { name: n } if n == name);
    let is_length = |e: &Expr| match e {
        Expr::Call { function, args } => {
            matches!(function.as_str(), "length" | "char_length") && args.len() == 1 && is_column(&args[0])
        }
        _ => false,
    };
    match expr {
        Expr::Binary { op: BinaryOp::And, left, right } => {
            gather(left, name, facts);
            gather(right, name, facts);
        }
        Expr::Binary { op, left, right } => {
            let (op, subject, other) = match (literal(left), literal(right)) {
                (None, Some(_)) => (*op, left.as_ref(), right.as_ref()),
                (Some(_), None) => (flip(*op), right.as_ref(), left.as_ref()),
                _ => return,
            };
            let Some(value) = literal(other) else { return };
            if is_column(subject) {
                compare(op, value, facts);
            } else if is_length(subject) {
                if let Literal::Number(n) = value {
                    length(op, n, facts);
                }
            }
        }
        Expr::Between { expr, low, high, negated: false } => {
            // Each bound on its own: `between 0 and other_column` still says ≥ 0.
            for (op, bound) in [(BinaryOp::Ge, low), (BinaryOp::Le, high)] {
                let Some(Literal::Number(n)) = literal(bound) else { continue };
                if is_column(expr) {
                    compare(op, Literal::Number(n), facts);
                } else if is_length(expr) {
                    length(op, n, facts);
                }
            }
        }
        Expr::InList { expr, list, negated: false } if is_column(expr) => {
            let values: Option<Vec<Literal>> = list.iter().map(literal).collect();
            if let Some(values) = values.filter(|v| !v.is_empty()) {
                facts.choices.get_or_insert(values);
            }
        }
        _ => {}
    }
}

fn literal(expr: &Expr) -> Option<Literal> {
    match expr {
        Expr::Int { value } | Expr::Decimal { value } => value.parse().ok().map(Literal::Number),
        Expr::Neg { expr } => match literal(expr)? {
            Literal::Number(n) => Some(Literal::Number(-n)),
            _ => None,
        },
        Expr::String { value } => Some(Literal::Text(value.clone())),
        Expr::EnumValue { value, .. } => Some(Literal::Text(value.clone())),
        Expr::Bool { value } => Some(Literal::Bool(*value)),
        _ => None,
    }
}

fn flip(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::Le => BinaryOp::Ge,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::Ge => BinaryOp::Le,
        other => other,
    }
}

fn compare(op: BinaryOp, value: Literal, facts: &mut Facts) {
    let tighten_low = |facts: &mut Facts, bound: (f64, bool)| {
        if facts.low.is_none_or(|(v, _)| bound.0 > v) {
            facts.low = Some(bound);
        }
    };
    let tighten_high = |facts: &mut Facts, bound: (f64, bool)| {
        if facts.high.is_none_or(|(v, _)| bound.0 < v) {
            facts.high = Some(bound);
        }
    };
    match (op, value) {
        (BinaryOp::Gt, Literal::Number(n)) => tighten_low(facts, (n, false)),
        (BinaryOp::Ge, Literal::Number(n)) => tighten_low(facts, (n, true)),
        (BinaryOp::Lt, Literal::Number(n)) => tighten_high(facts, (n, false)),
        (BinaryOp::Le, Literal::Number(n)) => tighten_high(facts, (n, true)),
        (BinaryOp::Match, Literal::Text(pattern)) => {
            facts.pattern.get_or_insert(pattern);
        }
        (BinaryOp::Eq, value) => {
            facts.choices.get_or_insert(vec![value]);
        }
        _ => {}
    }
}

fn length(op: BinaryOp, n: f64, facts: &mut Facts) {
    let n = n.max(0.0);
    match op {
        BinaryOp::Gt => facts.min_length = Some(n.floor() as u64 + 1),
        BinaryOp::Ge => facts.min_length = Some(n.ceil() as u64),
        BinaryOp::Lt => facts.max_length = Some((n.ceil() as u64).saturating_sub(1)),
        BinaryOp::Le => facts.max_length = Some(n.floor() as u64),
        BinaryOp::Eq => {
            facts.min_length = Some(n as u64);
            facts.max_length = Some(n as u64);
        }
        _ => {}
    }
}

/// How to generate one column's values.
#[derive(Clone)]
struct ValueSpec<'a> {
    ir: &'a Ir,
    schema: &'a str,
    prefix: String,
    salt: i64,
    /// In a unique key: distinct values.
    unique: bool,
    /// Read by a generated column: small numbers.
    small: bool,
    facts: Facts,
    span_days: u64,
    /// Candidate rows of the table (the largest `g`).
    candidates: u64,
    /// Characters of a text value with nothing else to go by.
    text_chars: u64,
    /// An array element: drawn from a pool rather than distinct.
    pooled: bool,
}

impl ValueSpec<'_> {
    fn pick(&self, modulus: impl fmt::Display) -> String {
        pick_sql(G, self.salt, modulus)
    }

    fn pick_with(&self, purpose: &str, modulus: u64) -> String {
        pick_sql(G, salt(&[&self.salt.to_string(), purpose]), modulus)
    }

    /// A value of `ty` as SQL (of the base type of a domain); None when the
    /// type has no generator.
    fn value(&self, ty: &Type) -> Option<String> {
        let (base, domains) = resolve(self.ir, ty);
        let shape = domains.iter().find_map(|d| d.shape.as_ref());
        if let Some(choices) = &self.facts.choices {
            if !matches!(base, Type::Enum { .. }) {
                let items: Vec<String> = choices.iter().map(literal_sql).collect();
                return Some(format!(
                    "(ARRAY[{}])[1 + {}]::{}",
                    items.join(", "),
                    self.pick(items.len()),
                    types::sql(&base, self.schema)
                ));
            }
        }
        let sql = match &base {
            Type::SmallInt => self.integer(i16::MIN.into(), i16::MAX.into()),
            Type::Int => self.integer(i32::MIN.into(), i32::MAX.into()),
            Type::BigInt => self.integer(i64::MIN.into(), i64::MAX.into()),
            Type::Numeric { precision, scale } => {
                let scale = if precision.is_some() { scale.unwrap_or(0) } else { scale.unwrap_or(2) };
                let integer_digits = precision.map(|p| p.saturating_sub(scale));
                self.decimal(scale.min(2), integer_digits, &types::sql(&base, self.schema))
            }
            Type::Real => self.decimal(2, Some(6), "real"),
            Type::Double => self.decimal(2, Some(12), "double precision"),
            Type::Bool => format!("({} = 1)", self.pick(2)),
            Type::Uuid => format!("md5({} || {G})::uuid", quote::literal(&format!("{}.{}:", self.prefix, self.salt))),
            Type::Text => self.text(None),
            Type::Varchar { length } | Type::Char { length } => self.text(Some(u64::from(*length))),
            Type::Date => format!("(current_date - {}::integer)", self.pick(self.span_days.max(1))),
            Type::Time { .. } => format!("(time '00:00' + {} * interval '1 second')", self.pick(86_400)),
            Type::Timestamp { .. } => {
                format!("(localtimestamp - {} * interval '1 microsecond')", self.pick(self.span_us()))
            }
            Type::Timestamptz { .. } => format!("(now() - {} * interval '1 microsecond')", self.pick(self.span_us())),
            Type::Interval => format!("((60 + {}) * interval '1 second')", self.pick(30 * 86_400 - 59)),
            Type::Bytes => bytes(BYTES_BYTES),
            Type::Json => self.json(shape),
            Type::Enum { name } => self.label(name)?,
            Type::Array { element } => self.array(element)?,
            Type::Domain { .. } | Type::Sql { .. } => return None,
        };
        Some(sql)
    }

    fn span_us(&self) -> u64 {
        self.span_days.max(1) * 86_400_000_000
    }

    /// Distinct `lo + (g − 1) × PRIME mod m` in a unique key, else uniform.
    fn spread(&self, low: i128, count: i128) -> String {
        let count = count.clamp(1, PRIME - 1);
        if self.unique && !self.pooled {
            format!("({low} + ({G} - 1) * {PRIME} % {count})")
        } else {
            format!("({low} + {})", self.pick(count))
        }
    }

    /// The integers `[low, high]` the checks and the type allow, in units of
    /// `10^-decimals`.
    fn range(&self, decimals: u32, min: i128, max: i128) -> (i128, i128) {
        let unit = 10f64.powi(decimals as i32);
        let span = if self.small { SMALL_NUMBER_SPAN } else { NUMBER_SPAN } * 10i128.pow(decimals);
        let low = self.facts.low.map(|(v, inclusive)| {
            let scaled = v * unit;
            if inclusive || scaled.fract() != 0.0 {
                scaled.ceil() as i128
            } else {
                scaled as i128 + 1
            }
        });
        let high = self.facts.high.map(|(v, inclusive)| {
            let scaled = v * unit;
            if inclusive || scaled.fract() != 0.0 {
                scaled.floor() as i128
            } else {
                scaled as i128 - 1
            }
        });
        let one = 10i128.pow(decimals);
        let (low, high) = match (low, high) {
            (Some(l), Some(h)) => (l, h),
            (Some(l), None) => (l, l.saturating_add(span - 1)),
            (None, Some(h)) if h >= one => (one.min(h), h),
            (None, Some(h)) => (h.saturating_sub(span - 1), h),
            (None, None) => (one, one + span - 1),
        };
        let (low, high) = (low.clamp(min, max), high.clamp(min, max));
        if low > high {
            (low, low)
        } else {
            (low, high)
        }
    }

    fn integer(&self, min: i128, max: i128) -> String {
        let (low, high) = self.range(0, min, max);
        self.spread(low, high - low + 1)
    }

    fn decimal(&self, decimals: u32, integer_digits: Option<u32>, cast: &str) -> String {
        let max = integer_digits.map_or(i128::from(i64::MAX), |d| 10i128.pow(d.min(30) + decimals) - 1);
        let (low, high) = self.range(decimals, -max, max);
        let spread = self.spread(low, high - low + 1);
        if decimals == 0 {
            format!("{spread}::{cast}")
        } else {
            format!("({spread}::numeric / {})::{cast}", 10i128.pow(decimals))
        }
    }

    fn label(&self, name: &str) -> Option<String> {
        let labels = &self.ir.enums.iter().find(|e| e.name == name)?.values;
        let allowed: Vec<&String> = match &self.facts.choices {
            Some(choices) => labels.iter().filter(|l| choices.contains(&Literal::Text((*l).clone()))).collect(),
            None => labels.iter().collect(),
        };
        let allowed = if allowed.is_empty() { labels.iter().collect() } else { allowed };
        let items: Vec<String> = allowed.iter().map(|l| quote::literal(l)).collect();
        Some(format!(
            "(ARRAY[{}])[1 + {}]::{}",
            items.join(", "),
            self.pick(items.len()),
            types::sql(&Type::Enum { name: name.to_string() }, self.schema)
        ))
    }

    /// Text of the width the storage estimate assumes, distinct per row.
    fn text(&self, varchar: Option<u64>) -> String {
        let mut width = match varchar {
            Some(n) => (n.min(2 * TEXT_BYTES) / 2).max(1),
            None => self.text_chars,
        };
        let max = match (varchar, self.facts.max_length) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        width = width.max(self.facts.min_length.unwrap_or(0));
        if let Some(max) = max {
            width = width.min(max);
        }
        if let Some(sql) =
            self.facts.pattern.as_deref().and_then(parse_pattern).and_then(|p| self.patterned(&p, width, max))
        {
            return sql;
        }
        if self.pooled {
            let head = format!("{} || {}", quote::literal(&format!("{}-", self.prefix)), self.pick(ARRAY_POOL));
            return format!("rpad({head} || '-', {width}, 'abcdefghijklmnopqrstuvwxyz')");
        }
        let d = digits(self.candidates);
        let filler = format!("md5({G}::text)");
        if self.prefix.len() as u64 + 1 + d < width {
            format!("rpad({} || {G} || '-', {width}, {filler})", quote::literal(&format!("{}-", self.prefix)))
        } else if d <= width {
            format!("rpad({G} || '-', {width}, {filler})")
        } else if self.unique && max.is_none_or(|m| d <= m) {
            format!("{G}::text")
        } else {
            format!("left(md5({G}::text), {width})")
        }
    }

    /// A value matching a parsed regular expression, `width` long when the
    /// expression allows; None when it allows nothing short enough.
    fn patterned(&self, pattern: &Pattern, width: u64, max: Option<u64>) -> Option<String> {
        let mut pieces = pattern.pieces.clone();
        if pattern.open_end {
            pieces.push(Piece { chars: ALNUM.chars().collect(), min: 0, max: None });
        }
        let need = if self.unique && !self.pooled { self.candidates } else { self.candidates.min(1_000_000) };
        let capacity = |p: &Piece, r: u32| (p.chars.len() as f64).powi(r as i32);
        let fits = |p: &Piece| {
            let k = p.chars.len() as f64;
            let r = ((need.max(2) as f64).ln() / k.ln()).ceil().max(f64::from(p.min.max(1))) as u32;
            (p.chars.len() > 1 && p.max.is_none_or(|m| r <= m) && k.powi(r as i32) < 4e18).then_some(r)
        };
        let carrier =
            pieces.iter().position(|p| fits(p).is_some()).map(|c| (c, fits(&pieces[c]).unwrap_or(1))).or_else(|| {
                let best = (0..pieces.len()).filter(|&i| pieces[i].chars.len() > 1).max_by(|&a, &b| {
                    let ca = capacity(&pieces[a], pieces[a].max.unwrap_or(12).min(12));
                    let cb = capacity(&pieces[b], pieces[b].max.unwrap_or(12).min(12));
                    ca.total_cmp(&cb).then(b.cmp(&a))
                })?;
                Some((best, pieces[best].max.unwrap_or(1).clamp(1, 12)))
            });
        let mut counts: Vec<u64> = pieces.iter().map(|p| u64::from(p.min)).collect();
        if let Some((c, r)) = carrier {
            counts[c] = u64::from(r);
        }
        let minimum: u64 = counts.iter().sum();
        if max.is_some_and(|m| minimum > m) {
            return None;
        }
        // Pad to the width: the carrier first, then the others in order.
        let mut extra = vec![0u64; pieces.len()];
        let mut missing = width.saturating_sub(minimum);
        let order = carrier.map(|(c, _)| c).into_iter().chain(0..pieces.len());
        for i in order {
            if missing == 0 {
                break;
            }
            let room = pieces[i].max.map_or(u64::MAX, |m| u64::from(m).saturating_sub(counts[i] + extra[i]));
            let add = room.min(missing);
            extra[i] += add;
            missing -= add;
        }
        let mut parts: Vec<String> = Vec::new();
        let mut text = String::new();
        for (i, piece) in pieces.iter().enumerate() {
            if let Some((c, r)) = carrier.filter(|(c, _)| *c == i) {
                if !text.is_empty() {
                    parts.push(quote::literal(&std::mem::take(&mut text)));
                }
                parts.push(self.encode(&pieces[c].chars, r));
                text.push_str(&cycle(&piece.chars, extra[i] as usize));
            } else {
                text.push_str(&cycle(&piece.chars, (counts[i] + extra[i]) as usize));
            }
        }
        if !text.is_empty() {
            parts.push(quote::literal(&text));
        }
        if parts.is_empty() {
            return Some("''".into());
        }
        Some(format!("({})", parts.join(" || ")))
    }

    /// `g` (or, outside unique keys, a hash) written with `width` of the
    /// characters, most significant first.
    fn encode(&self, chars: &[char], width: u32) -> String {
        let k = chars.len() as u64;
        let space = (k as u128).pow(width).min(1 << 62) as u64;
        let number = if self.unique && !self.pooled { G.to_string() } else { self.pick(space) };
        let alphabet = quote::literal(&chars.iter().collect::<String>());
        let digits: Vec<String> = (0..width)
            .rev()
            .map(|i| {
                let place = (k as u128).pow(i).min(1 << 62);
                format!("substr({alphabet}, (1 + {number} / {place} % {k})::integer, 1)")
            })
            .collect();
        digits.join(" || ")
    }

    fn json(&self, shape: Option<&JsonShape>) -> String {
        let object = match shape {
            Some(shape) => self.shape(shape, 0),
            None => format!("jsonb_build_object('id', {G}, 'kind', 'kind-' || {})", self.pick(10)),
        };
        // The pad member costs 12 bytes of its own (entries and key); the
        // on-disk value has a 4-byte header.
        let target = JSON_BYTES + 4 - 12;
        format!(
            "({object} || jsonb_build_object('_pad', rpad('', greatest(0, {target} - pg_column_size({object})), md5({G}::text))))"
        )
    }

    fn shape(&self, shape: &JsonShape, depth: usize) -> String {
        let members: Vec<String> = shape
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| format!("{}, {}", quote::literal(&m.name), self.shape_value(&m.kind, &m.name, depth, i)))
            .collect();
        format!("jsonb_build_object({})", members.join(", "))
    }

    fn shape_value(&self, kind: &ShapeKind, name: &str, depth: usize, i: usize) -> String {
        let pick = |m: u64| pick_sql(G, salt(&[&self.salt.to_string(), name, &depth.to_string(), &i.to_string()]), m);
        match kind {
            ShapeKind::String => format!("{} || {G}", quote::literal(&format!("{}-", prefix(name)))),
            ShapeKind::Number => pick(1000),
            ShapeKind::Boolean => format!("({} = 1)", pick(2)),
            ShapeKind::Any => G.to_string(),
            ShapeKind::OneOf { values } if !values.is_empty() => {
                let items: Vec<String> = values.iter().map(|v| quote::literal(v)).collect();
                format!("(ARRAY[{}])[1 + {}]", items.join(", "), pick(items.len() as u64))
            }
            ShapeKind::OneOf { .. } => "''".into(),
            ShapeKind::Array { element } if depth < 8 => {
                let a = self.shape_value(element, name, depth + 1, 0);
                let b = self.shape_value(element, name, depth + 1, 1);
                format!("jsonb_build_array({a}, {b})")
            }
            ShapeKind::Object { shape } if depth < 8 => self.shape(shape, depth + 1),
            ShapeKind::Array { .. } | ShapeKind::Object { .. } => "'{}'::jsonb".into(),
        }
    }

    fn array(&self, element: &Type) -> Option<String> {
        let (base, _) = resolve(self.ir, element);
        let mut facts = Facts::default();
        domain_facts(self.ir, element, &mut facts);
        let items: Option<Vec<String>> = (0..ARRAY_ELEMENTS)
            .map(|i| {
                let spec = ValueSpec {
                    salt: salt(&[&self.salt.to_string(), &i.to_string()]),
                    unique: false,
                    pooled: true,
                    facts: facts.clone(),
                    text_chars: ARRAY_TEXT_CHARS,
                    ..self.clone()
                };
                spec.value(element)
            })
            .collect();
        Some(format!("ARRAY[{}]::{}[]", items?.join(", "), types::sql(&base, self.schema)))
    }
}

fn literal_sql(value: &Literal) -> String {
    match value {
        Literal::Number(n) => format!("{n}"),
        Literal::Text(t) => quote::literal(t),
        Literal::Bool(b) => b.to_string(),
    }
}

/// `count` characters of `chars`, cycling from the first.
fn cycle(chars: &[char], count: usize) -> String {
    chars.iter().cycle().take(count).collect()
}

// ---------------------------------------------------------------------------
// SQL text.

/// The identifiers of an SQL expression (outside string literals), lowercased
/// when unquoted.
fn identifiers(sql: &str) -> Vec<String> {
    tokens(sql)
        .into_iter()
        .filter_map(|t| match t {
            Token::Word(w) => Some(w.to_ascii_lowercase()),
            Token::Quoted(q) => Some(q[1..q.len().saturating_sub(1).max(1)].replace("\"\"", "\"")),
            Token::Other(_) => None,
        })
        .collect()
}

/// A domain check with its `VALUE` replaced by a column.
fn replace_value(sql: &str, column: &str) -> String {
    tokens(sql)
        .into_iter()
        .map(|t| match t {
            Token::Word(w) if w.eq_ignore_ascii_case("value") => column.to_string(),
            Token::Word(text) | Token::Quoted(text) | Token::Other(text) => text,
        })
        .collect()
}

/// A piece of SQL text; concatenated, the tokens give the text back.
enum Token {
    /// A bare word: keyword, identifier or name of a function or type.
    Word(String),
    /// A quoted identifier, quotes included.
    Quoted(String),
    /// String literals and everything else.
    Other(String),
}

fn tokens(sql: &str) -> Vec<Token> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c == '\'' || c == '"' {
            i += 1;
            while i < chars.len() && !(chars[i] == c && chars.get(i + 1) != Some(&c)) {
                i += if chars[i] == c { 2 } else { 1 };
            }
            i = (i + 1).min(chars.len());
            let text: String = chars[start..i].iter().collect();
            out.push(if c == '"' { Token::Quoted(text) } else { Token::Other(text) });
        } else if c.is_ascii_alphabetic() || c == '_' {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '$') {
                i += 1;
            }
            out.push(Token::Word(chars[start..i].iter().collect()));
        } else {
            i += 1;
            out.push(Token::Other(c.to_string()));
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Regular expressions, as far as generating a matching value goes.

const ALNUM: &str = "0123456789abcdefghijklmnopqrstuvwxyz";

/// A run of characters from a set, between `min` and `max` long.
#[derive(Debug, Clone, PartialEq)]
struct Piece {
    chars: Vec<char>,
    min: u32,
    max: Option<u32>,
}

/// A regular expression flattened to pieces: groups repeated their minimum
/// number of times, the first of alternatives taken.
#[derive(Debug, Clone, PartialEq)]
struct Pattern {
    pieces: Vec<Piece>,
    /// Not anchored at the end: anything may follow.
    open_end: bool,
}

/// None for what the subset does not cover (back references, lookaround,
/// word boundaries, anchors inside the expression, …).
fn parse_pattern(re: &str) -> Option<Pattern> {
    let mut chars: Vec<char> = re.chars().collect();
    if chars.first() == Some(&'^') {
        chars.remove(0);
    }
    let trailing_backslashes = chars.iter().rev().skip(1).take_while(|c| **c == '\\').count();
    let open_end = !(chars.last() == Some(&'$') && trailing_backslashes % 2 == 0);
    if !open_end {
        chars.pop();
    }
    let mut parser = RegexParser { chars, at: 0 };
    let pieces = parser.alternatives(0)?;
    (parser.at == parser.chars.len()).then_some(Pattern { pieces, open_end })
}

struct RegexParser {
    chars: Vec<char>,
    at: usize,
}

impl RegexParser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        let found = self.peek() == Some(c);
        if found {
            self.at += 1;
        }
        found
    }

    fn alternatives(&mut self, depth: usize) -> Option<Vec<Piece>> {
        if depth > 16 {
            return None;
        }
        let first = self.sequence(depth)?;
        while self.eat('|') {
            self.sequence(depth)?;
        }
        Some(first)
    }

    fn sequence(&mut self, depth: usize) -> Option<Vec<Piece>> {
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom(depth)?;
            let (min, max) = self.quantifier()?;
            match atom {
                Atom::Chars(chars) => out.push(Piece { chars: nice(chars), min, max }),
                Atom::Group(pieces) => {
                    for _ in 0..min.min(4) {
                        out.extend(pieces.iter().cloned());
                    }
                }
            }
        }
        Some(out)
    }

    fn atom(&mut self, depth: usize) -> Option<Atom> {
        let c = self.peek()?;
        self.at += 1;
        match c {
            '(' => {
                if self.eat('?') && !self.eat(':') {
                    return None;
                }
                let pieces = self.alternatives(depth + 1)?;
                self.eat(')').then_some(Atom::Group(pieces))
            }
            '[' => self.class().map(Atom::Chars),
            '.' => Some(Atom::Chars(ALNUM.chars().collect())),
            '\\' => {
                let e = self.peek()?;
                self.at += 1;
                escape(e).map(Atom::Chars)
            }
            '^' | '$' | '*' | '+' | '?' | '{' | ')' | '|' => None,
            c => Some(Atom::Chars(vec![c])),
        }
    }

    fn quantifier(&mut self) -> Option<(u32, Option<u32>)> {
        let range = match self.peek() {
            Some('?') => (0, Some(1)),
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('{') => {
                self.at += 1;
                let min = self.number()?;
                let max = if self.eat(',') {
                    if self.peek() == Some('}') {
                        None
                    } else {
                        Some(self.number()?)
                    }
                } else {
                    Some(min)
                };
                if self.peek() != Some('}') || max.is_some_and(|m| m < min) {
                    return None;
                }
                (min, max)
            }
            _ => return Some((1, Some(1))),
        };
        self.at += 1;
        self.eat('?');
        Some(range)
    }

    fn number(&mut self) -> Option<u32> {
        let start = self.at;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.at += 1;
        }
        self.chars[start..self.at].iter().collect::<String>().parse().ok().filter(|n| *n <= 1000)
    }

    /// A bracket expression, after its `[`.
    fn class(&mut self) -> Option<Vec<char>> {
        let negated = self.eat('^');
        let mut set = BTreeSet::new();
        let mut first = true;
        loop {
            let c = self.peek()?;
            self.at += 1;
            if c == ']' && !first {
                break;
            }
            first = false;
            if c == '[' && self.peek() == Some(':') {
                let end = (self.at..self.chars.len().saturating_sub(1))
                    .find(|&i| self.chars[i] == ':' && self.chars[i + 1] == ']')?;
                let name: String = self.chars[self.at + 1..end].iter().collect();
                set.extend(posix_class(&name)?);
                self.at = end + 2;
                continue;
            }
            let c = if c == '\\' {
                let e = self.peek()?;
                self.at += 1;
                match escape(e) {
                    Some(chars) if chars.len() > 1 => {
                        set.extend(chars);
                        continue;
                    }
                    Some(chars) => chars[0],
                    None => return None,
                }
            } else {
                c
            };
            if self.peek() == Some('-') && self.chars.get(self.at + 1).is_some_and(|n| *n != ']') {
                let end = self.chars[self.at + 1];
                self.at += 2;
                if end < c {
                    return None;
                }
                set.extend((c..=end).filter(|ch| ch.is_ascii() && !ch.is_ascii_control()));
            } else {
                set.insert(c);
            }
        }
        let set: Vec<char> =
            if negated { (' '..='~').filter(|c| !set.contains(c)).collect() } else { set.into_iter().collect() };
        (!set.is_empty()).then_some(set)
    }
}

enum Atom {
    Chars(Vec<char>),
    Group(Vec<Piece>),
}

/// The characters an escape stands for; None for the escapes that are not
/// characters (back references, boundaries, …).
fn escape(e: char) -> Option<Vec<char>> {
    match e {
        'd' => Some(('0'..='9').collect()),
        'w' => Some(ALNUM.chars().chain('A'..='Z').chain(['_']).collect()),
        's' => Some(vec![' ']),
        't' => Some(vec!['\t']),
        'n' => Some(vec!['\n']),
        c if c.is_ascii_alphanumeric() => None,
        c => Some(vec![c]),
    }
}

fn posix_class(name: &str) -> Option<Vec<char>> {
    let chars: Vec<char> = match name {
        "digit" => ('0'..='9').collect(),
        "lower" => ('a'..='z').collect(),
        "upper" => ('A'..='Z').collect(),
        "alpha" => ('a'..='z').chain('A'..='Z').collect(),
        "alnum" => ALNUM.chars().chain('A'..='Z').collect(),
        "word" => ALNUM.chars().chain('A'..='Z').chain(['_']).collect(),
        "xdigit" => "0123456789abcdefABCDEF".chars().collect(),
        "space" => vec![' ', '\t', '\n', '\r', '\x0b', '\x0c'],
        "blank" => vec![' ', '\t'],
        "punct" => (' '..='~').filter(|c| c.is_ascii_punctuation()).collect(),
        _ => return None,
    };
    Some(chars)
}

/// The characters of a set a value is built from: lowercase letters and
/// digits when the set has them, else uppercase letters, else printable
/// characters other than space and quotes, else the set.
fn nice(chars: Vec<char>) -> Vec<char> {
    if chars.len() == 1 {
        return chars;
    }
    let preferred: [&dyn Fn(&char) -> bool; 3] =
        [&|c| c.is_ascii_lowercase() || c.is_ascii_digit(), &|c| c.is_ascii_uppercase(), &|c| {
            c.is_ascii_graphic() && !matches!(c, '\'' | '"' | '\\')
        }];
    for keep in preferred {
        let subset: Vec<char> = chars.iter().copied().filter(keep).collect();
        if !subset.is_empty() {
            return subset;
        }
    }
    chars
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdlib_patterns_flatten_to_pieces() {
        let slug = parse_pattern("^[a-z0-9]+(-[a-z0-9]+)*$").unwrap();
        assert!(!slug.open_end);
        assert_eq!(slug.pieces.len(), 1);
        assert_eq!(slug.pieces[0].chars.len(), 36);
        let phone = parse_pattern(r"^\+[1-9][0-9]{6,14}$").unwrap();
        assert_eq!(phone.pieces[0].chars, ['+']);
        assert_eq!((phone.pieces[2].min, phone.pieces[2].max), (6, Some(14)));
        let email = parse_pattern("^[^@[:space:]]+@[^@[:space:]]+$").unwrap();
        assert_eq!(email.pieces[1].chars, ['@']);
        assert!(!email.pieces[0].chars.contains(&'@') && !email.pieces[0].chars.contains(&' '));
        assert!(parse_pattern("^https?://").unwrap().open_end);
        assert!(parse_pattern(r"^(a)\1$").is_none(), "back references are not covered");
    }

    #[test]
    fn checks_bound_numbers_lengths_and_choices() {
        let ir = crate::driver::compile_str(
            "t.schema",
            "enum S { a, b, c }\nentity T {\n  id int primary\n  qty int check (qty > 0)\n  \
             name text check (length(name) between 1 and 20)\n  s S check (s in (a, b))\n  \
             p numeric(5, 2) check (p between 0 and 100)\n}\n",
        )
        .ir;
        let entity = &ir.entities[0];
        let facts = |name: &str| facts_of(&ir, entity, entity.field(name).unwrap());
        assert_eq!(facts("qty").low, Some((0.0, false)));
        assert_eq!((facts("name").min_length, facts("name").max_length), (Some(1), Some(20)));
        assert_eq!(facts("s").choices, Some(vec![Literal::Text("a".into()), Literal::Text("b".into())]));
        let spec = ValueSpec {
            ir: &ir,
            schema: "public",
            prefix: "p".into(),
            salt: 1,
            unique: false,
            small: false,
            facts: facts("p"),
            span_days: 1,
            candidates: 100,
            text_chars: TEXT_BYTES,
            pooled: false,
        };
        assert_eq!(spec.range(2, -99_999, 99_999), (0, 10_000));
    }

    #[test]
    fn value_replaced_outside_literals_only() {
        assert_eq!(replace_value("VALUE ~ '^value$' AND value > 0", "\"x\""), "\"x\" ~ '^value$' AND \"x\" > 0");
        assert_eq!(identifiers("length(\"Name\") > 0 AND 'qty' = q"), ["length", "Name", "and", "q"]);
    }

    #[test]
    fn required_self_reference_is_left_empty_with_a_note() {
        let source = "entity Task {\n  id int primary\n}\nrelation Task.next -> Task.previous { required }\n\
                      entity Step {\n  id int primary\n}\nrelation Step.task -> Task.steps { required }\n";
        let mut compilation = crate::driver::compile_str("t.schema", source);
        assert!(!compilation.has_errors(), "{:#?}", compilation.diagnostics);
        let output = crate::pipeline::build(&mut compilation, &crate::pipeline::Options::default());
        let plan = plan(&compilation.ir, &output.postgres.unwrap(), 1.0);
        assert_eq!(plan.rows["task"], 0);
        assert_eq!(plan.rows["step"], 0);
        assert_eq!(plan.notes.len(), 2, "{:#?}", plan.notes);
        assert!(plan.notes[0].contains("`Task` is left empty"), "{:#?}", plan.notes);
        assert!(!plan.steps.iter().any(|s| s.kind == StepKind::Insert));
    }

    #[test]
    fn rows_follow_volume_and_scale() {
        let ir = crate::driver::compile_str(
            "t.schema",
            "entity A {\n  id int primary\n  volume 2M rows, grows 5k/day\n}\nentity B {\n  id int primary\n}\n",
        )
        .ir;
        assert_eq!(entity_rows(&ir.entities[0], 0.001), 2_000);
        assert_eq!(entity_rows(&ir.entities[0], 0.0), 1);
        assert_eq!(entity_rows(&ir.entities[1], 0.001), MIN_DEFAULT_ROWS);
        assert_eq!(entity_rows(&ir.entities[1], 1.0), DEFAULT_ROWS);
        assert_eq!(span_days(&ir.entities[0]), 400);
        assert_eq!(span_days(&ir.entities[1]), DEFAULT_SPAN_DAYS);
    }
}
