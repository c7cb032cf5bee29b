//! IR × IR → changes. Both states are lowered to the PostgreSQL physical
//! model (the catalog the database holds), the old one after the declared
//! renames; then every object is matched by name and compared. The result is
//! a list of [`Change`]s in no particular order — ordering, locks and safety
//! are `plan.rs`'s job. Patterns, policies and grants plug in by lowering to
//! the same model.
//!
//! Never guesses a rename: a table or column that disappears while a similar
//! one appears is a drop plus an add (the plan flags the pair, H0009).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::rename::{self, Renames};
use crate::backends::postgres::quote::{ident, qualified};
use crate::backends::postgres::{self, model::*};
use crate::semantic::ir::{Ir, SourceMap};

/// One difference between the database the old state built and the one the
/// new state builds.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    CreateExtension(String),
    CreateFunction(Function),
    ReplaceFunction {
        old: Function,
        new: Function,
    },
    DropFunction(Function),
    CreateAggregate(Aggregate),
    /// The same arguments, another definition: `CREATE OR REPLACE AGGREGATE`.
    ReplaceAggregate {
        old: Aggregate,
        new: Aggregate,
    },
    DropAggregate(Aggregate),
    CreateEnum(EnumType),
    /// A value added; `before` is the existing value it goes in front of
    /// (none: at the end).
    AddEnumValue {
        name: String,
        value: String,
        before: Option<String>,
    },
    /// Values removed or reordered: a new type and a column swap.
    /// `columns`: (table, column, its default) of every column of the type.
    RebuildEnum {
        old: EnumType,
        new: EnumType,
        columns: Vec<(String, String, Option<String>)>,
    },
    DropEnum(EnumType),
    CreateDomain(DomainType),
    ChangeDomainCheck {
        name: String,
        old: Option<Check>,
        new: Option<Check>,
    },
    DropDomain(DomainType),
    RenameTable {
        old: String,
        new: String,
    },
    RenameColumn {
        table: String,
        old: String,
        new: String,
    },
    /// A constraint (or the index behind it) whose generated name follows a rename.
    RenameConstraint {
        table: String,
        old: String,
        new: String,
    },
    RenameIndex {
        old: String,
        new: String,
    },
    /// The sequence of an identity column whose table or column is renamed:
    /// PostgreSQL keeps the sequence's name, a fresh database names it after
    /// the new table and column. `table` and `column` are the new names.
    RenameSequence {
        table: String,
        column: String,
        old: String,
        new: String,
    },
    /// An object a behaviour generated that follows its table's rename:
    /// `kind` is FUNCTION, PROCEDURE, VIEW, TRIGGER or POLICY; `on` the
    /// table (already renamed) of a trigger or policy; `params` the
    /// parameter types of a routine.
    RenameObject {
        kind: &'static str,
        on: Option<String>,
        old: String,
        new: String,
        params: Vec<String>,
    },
    CreateTable(Table),
    /// `lookalike`: a table created by the same plan that shares most of its
    /// columns — perhaps a rename nobody declared.
    DropTable {
        table: Table,
        lookalike: Option<String>,
    },
    AddPartition {
        table: Table,
        partition: Partition,
    },
    DropPartition {
        table: String,
        partition: Partition,
    },
    AddColumn {
        table: String,
        column: Column,
    },
    /// `lookalike`: a column added to the same table, of the same type if
    /// there is one — perhaps a rename nobody declared.
    DropColumn {
        table: String,
        column: Column,
        lookalike: Option<String>,
    },
    ChangeColumnType {
        table: String,
        old: Column,
        new: Column,
    },
    ChangeDefault {
        table: String,
        column: String,
        old: Option<String>,
        new: Option<String>,
    },
    /// An identity column becomes GENERATED ALWAYS (or BY DEFAULT).
    SetIdentityKind {
        table: String,
        column: String,
        always: bool,
    },
    SetNotNull {
        table: String,
        column: String,
    },
    DropNotNull {
        table: String,
        column: String,
    },
    /// Identity added or removed, or the generation expression changed: the
    /// column is made again.
    RecreateColumn {
        table: String,
        old: Column,
        new: Column,
    },
    AddPrimaryKey {
        table: String,
        key: Key,
    },
    DropPrimaryKey {
        table: String,
        key: Key,
    },
    AddUnique {
        table: String,
        key: Key,
    },
    DropUnique {
        table: String,
        key: Key,
    },
    AddCheck {
        table: String,
        check: Check,
    },
    DropCheck {
        table: String,
        check: Check,
    },
    /// `fresh`: the table is created by the same plan (empty: nothing to
    /// validate, nothing to build concurrently).
    AddForeignKey {
        fk: ForeignKey,
        fresh: bool,
    },
    DropForeignKey(ForeignKey),
    /// `partitioned`: the table is partitioned, where PostgreSQL cannot
    /// build or drop an index CONCURRENTLY.
    CreateIndex {
        index: Index,
        fresh: bool,
        partitioned: bool,
    },
    DropIndex {
        index: Index,
        partitioned: bool,
    },
    /// `COMMENT ON <target>`; `target` is SQL (`COLUMN public.t.c`).
    Comment {
        target: String,
        object: String,
        old: Option<String>,
        new: Option<String>,
    },
    CreateView(View),
    DropView(View),
    CreateTrigger(Trigger),
    DropTrigger(Trigger),
    AddExclusion {
        table: String,
        exclusion: Exclusion,
    },
    DropExclusion {
        table: String,
        exclusion: Exclusion,
    },
    SetRowSecurity {
        table: String,
        from: RowSecurity,
        to: RowSecurity,
    },
    CreatePolicy(Policy),
    DropPolicy(Policy),
    /// A role the cluster may already have: made when missing.
    CreateRole(Role),
    /// A role's login or memberships change (it is never dropped: roles
    /// belong to the cluster, and other databases may use them).
    ChangeRole {
        old: Role,
        new: Role,
    },
    GrantPrivilege(Grant),
    RevokePrivilege(Grant),
    /// Whether PUBLIC may execute a routine.
    PublicExecute {
        function: Function,
        revoked: bool,
    },
    /// An object changed in a way only dropping and adding it again can
    /// express: the drop runs right before the add.
    Replace {
        drop: Box<Change>,
        add: Box<Change>,
    },
    /// A rewriting type change or a declared rename made through a shadow
    /// column (`[migrations] column_changes = "with_shadow"`); it stands
    /// for the column's other changes too (default, NOT NULL, comment, its
    /// indexes and uniques).
    ShadowColumn(Box<super::shadow_column::Shadow>),
    /// A change made in place although the project asked for a shadow
    /// column, and why (`why` ends up in the step's summary).
    InPlace {
        change: Box<Change>,
        why: String,
    },
    /// A change this planner cannot make safely by itself.
    Unsupported {
        object: String,
        why: String,
    },
}

/// The two states as catalogs, ready to compare.
pub struct States {
    /// The old state as the database holds it.
    pub old: Catalog,
    /// The old state after the declared renames (none: there are none).
    pub renamed: Option<Catalog>,
    pub new: Catalog,
    pub renames: Renames,
}

/// Stack of the thread that lowers the new state (as much as the compiler's
/// own threads: expressions at the size limits recurse deeply).
const LOWERING_STACK: usize = 64 * 1024 * 1024;

/// Both states lowered, the new one on a second thread (the allocator,
/// mimalloc, keeps a heap per thread, so the two do not contend).
pub fn lower(old: &Ir, new: &Ir, options: &postgres::Options) -> States {
    lower_with(old, new, None, options)
}

/// [`lower`], with `new` already lowered when `lowered` is given.
fn lower_with(old: &Ir, new: &Ir, lowered: Option<Catalog>, options: &postgres::Options) -> States {
    let renames = rename::declared(old, new);
    let map = SourceMap::default();
    let lower = |ir: &Ir| postgres::lower::lower(ir, &map, options).0;
    if let Some(new_catalog) = lowered {
        let renamed = (!renames.is_empty()).then(|| lower(&rename::apply(old, &renames)));
        return States { old: lower(old), renamed, new: new_catalog, renames };
    }
    let (old_states, new_catalog) = std::thread::scope(|scope| {
        let side = std::thread::Builder::new().stack_size(LOWERING_STACK).spawn_scoped(scope, || lower(new));
        let renamed = (!renames.is_empty()).then(|| lower(&rename::apply(old, &renames)));
        let old_catalog = lower(old);
        let new_catalog = match side {
            Ok(handle) => handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to be had: lower it here.
            Err(_) => lower(new),
        };
        ((old_catalog, renamed), new_catalog)
    });
    States { old: old_states.0, renamed: old_states.1, new: new_catalog, renames }
}

impl States {
    /// The old state after the declared renames.
    pub fn renamed(&self) -> &Catalog {
        self.renamed.as_ref().unwrap_or(&self.old)
    }
}

/// Every change from `old` to `new`.
pub fn diff(old: &Ir, new: &Ir, options: &postgres::Options) -> Vec<Change> {
    diff_lowered(old, new, None, options)
}

/// [`diff`], with `new` already lowered when `lowered` is given.
pub fn diff_lowered(old: &Ir, new: &Ir, lowered: Option<Catalog>, options: &postgres::Options) -> Vec<Change> {
    diff_states(old, new, lowered, options).1
}

/// [`diff_lowered`], with the two states it compared.
pub fn diff_states(old: &Ir, new: &Ir, lowered: Option<Catalog>, options: &postgres::Options) -> (States, Vec<Change>) {
    let states = lower_with(old, new, lowered, options);
    let mut changes = renames(old, &states);
    changes.extend(catalogs(states.renamed(), &states.new));
    (states, changes)
}

/// The rename steps that turn the old database into the renamed state:
/// tables, columns, then constraints and indexes whose generated names
/// follow them (matched by their place in the table).
fn renames(old_ir: &Ir, states: &States) -> Vec<Change> {
    let mut out = Vec::new();
    for (old, new) in states.renames.tables.values() {
        out.push(Change::RenameTable { old: old.clone(), new: new.clone() });
    }
    for (table, old, new) in states.renames.columns.values() {
        out.push(Change::RenameColumn { table: table.clone(), old: old.clone(), new: new.clone() });
    }
    if states.renames.is_empty() {
        return out;
    }
    // Tables of the old catalog and the renamed one correspond in the order
    // of their entities after renaming; find each by the rename map.
    let mut table_of: BTreeMap<String, String> = states.renames.tables.values().cloned().collect();
    let renamed_tables = by_name(&states.renamed().tables, |t| t.name.as_str());
    // Tables a behaviour names after its entity's (`<table>_history`) follow it.
    let follows = |name: &str| follow(name, &table_of);
    let generated: Vec<(String, String)> = states
        .old
        .tables
        .iter()
        .filter(|t| !table_of.contains_key(&t.name))
        .filter_map(|t| Some((t.name.clone(), follows(&t.name)?)))
        .filter(|(_, new)| renamed_tables.contains_key(new.as_str()))
        .collect();
    for (old, new) in generated {
        out.push(Change::RenameTable { old: old.clone(), new: new.clone() });
        table_of.insert(old, new);
    }
    // Per table, the names of its foreign keys and indexes, in catalog order.
    let old_fks = names_by_table(&states.old.foreign_keys, |f| (f.table.as_str(), f.name.as_str()));
    let renamed_fks = names_by_table(&states.renamed().foreign_keys, |f| (f.table.as_str(), f.name.as_str()));
    let old_indexes = names_by_table(&states.old.indexes, |i| (i.table.as_str(), i.name.as_str()));
    let renamed_indexes = names_by_table(&states.renamed().indexes, |i| (i.table.as_str(), i.name.as_str()));
    let entity_tables: HashSet<&str> = old_ir.entities.iter().map(|e| e.table.as_str()).collect();
    for old_table in &states.old.tables {
        let new_name = table_of.get(&old_table.name).cloned().unwrap_or_else(|| old_table.name.clone());
        let Some(renamed) = renamed_tables.get(new_name.as_str()) else { continue };
        let pairs = old_table
            .primary_key
            .iter()
            .zip(&renamed.primary_key)
            .map(|(a, b)| (&a.name, &b.name))
            .chain(old_table.uniques.iter().zip(&renamed.uniques).map(|(a, b)| (&a.name, &b.name)))
            .chain(old_table.checks.iter().zip(&renamed.checks).map(|(a, b)| (&a.name, &b.name)))
            .chain(old_table.exclusions.iter().zip(&renamed.exclusions).map(|(a, b)| (&a.name, &b.name)));
        for (a, b) in pairs {
            if a != b {
                out.push(Change::RenameConstraint { table: new_name.clone(), old: a.clone(), new: b.clone() });
            }
        }
        for (a, b) in names_of(&old_fks, &old_table.name).into_iter().zip(names_of(&renamed_fks, &new_name)) {
            if a != b {
                out.push(Change::RenameConstraint { table: new_name.clone(), old: a.to_string(), new: b.to_string() });
            }
        }
        for (a, b) in names_of(&old_indexes, &old_table.name).into_iter().zip(names_of(&renamed_indexes, &new_name)) {
            if a != b {
                out.push(Change::RenameIndex { old: a.to_string(), new: b.to_string() });
            }
        }
        // A generated table's columns follow its entity's renamed fields.
        let generated = !entity_tables.contains(old_table.name.as_str());
        if generated && old_table.columns.len() == renamed.columns.len() {
            for (a, b) in old_table.columns.iter().zip(&renamed.columns).filter(|(a, b)| a.name != b.name) {
                out.push(Change::RenameColumn { table: new_name.clone(), old: a.name.clone(), new: b.name.clone() });
            }
        }
        // Columns correspond by place, as the renamed state keeps their order.
        for (a, b) in old_table.columns.iter().zip(&renamed.columns).filter(|(a, b)| a.identity && b.identity) {
            let old = postgres::names::identity_sequence(&old_table.name, &a.name);
            let new = postgres::names::identity_sequence(&new_name, &b.name);
            if old != new {
                out.push(Change::RenameSequence { table: new_name.clone(), column: b.name.clone(), old, new });
            }
        }
    }
    generated_objects(states, &table_of, &mut out);
    out
}

/// Object names grouped by the table they belong to, each table's in order.
fn names_by_table<'c, T>(items: &'c [T], key: impl Fn(&'c T) -> (&'c str, &'c str)) -> HashMap<&'c str, Vec<&'c str>> {
    let mut names: HashMap<&str, Vec<&str>> = HashMap::new();
    for item in items {
        let (table, name) = key(item);
        names.entry(table).or_default().push(name);
    }
    names
}

/// The names [`names_by_table`] has for `table` (none: it has no such objects).
fn names_of<'c>(names: &HashMap<&str, Vec<&'c str>>, table: &str) -> Vec<&'c str> {
    names.get(table).cloned().unwrap_or_default()
}

/// The first item of each name (or key), as a linear `find` would pick it.
fn first_by<'c, T, K: std::hash::Hash + Eq>(items: &'c [T], key: impl Fn(&'c T) -> K) -> HashMap<K, &'c T> {
    let mut map = HashMap::with_capacity(items.len());
    for item in items {
        map.entry(key(item)).or_insert(item);
    }
    map
}

/// The name an object named after a table (`<table>_<what>`) takes when
/// that table is renamed; none when it is not named after a renamed table.
fn follow(name: &str, table_of: &BTreeMap<String, String>) -> Option<String> {
    // The longest renamed table that `name` starts with, followed by `_`.
    name.char_indices()
        .rev()
        .filter(|(_, c)| *c == '_')
        .find_map(|(end, _)| table_of.get_key_value(&name[..end]))
        .map(|(old, new)| format!("{new}{}", &name[old.len()..]))
}

/// Routines, views, triggers and policies behaviours generated follow the
/// renames of their tables (with the comments that name them); a routine
/// whose body names a renamed table or column is made again with the new
/// body, and a view whose columns were renamed is made again (a view keeps
/// the column names it was created with).
fn generated_objects(states: &States, table_of: &BTreeMap<String, String>, out: &mut Vec<Change>) {
    let (renamed, schema) = (states.renamed(), states.renamed().schema.as_str());
    let table = |name: &str| table_of.get(name).cloned().unwrap_or_else(|| name.to_string());
    let new_name = |name: &str| follow(name, table_of).unwrap_or_else(|| name.to_string());
    let tables = first_by(&renamed.tables, |t| t.name.as_str());
    let views = first_by(&renamed.views, |v| v.name.as_str());
    let functions = first_by(&renamed.functions, |f| f.name.as_str());
    let triggers = first_by(&renamed.triggers, |t| (t.name.as_str(), t.table.as_str()));
    let policies = first_by(&renamed.policies, |p| (p.name.as_str(), p.table.as_str()));
    for old in &states.old.tables {
        let name = table(&old.name);
        if let Some(now) = tables.get(name.as_str()).filter(|t| t.comment != old.comment) {
            out.push(comment(format!("TABLE {}", qualified(schema, &name)), &name, &old.comment, &now.comment));
        }
    }
    let mut remade = BTreeSet::new();
    for view in &states.old.views {
        let new = new_name(&view.name);
        let Some(&now) = views.get(new.as_str()) else { continue };
        if !now.columns.is_empty() && now.columns != view.columns {
            out.push(Change::DropView(view.clone()));
            out.push(Change::CreateView(now.clone()));
            remade.insert(new);
            continue;
        }
        if new != view.name {
            let kind = if view.materialized { "MATERIALIZED VIEW" } else { "VIEW" };
            out.push(Change::RenameObject {
                kind,
                on: None,
                old: view.name.clone(),
                new: new.clone(),
                params: Vec::new(),
            });
        }
        if now.comment != view.comment {
            out.push(comment(format!("{} {}", now.kind(), qualified(schema, &new)), &new, &view.comment, &now.comment));
        }
    }
    for function in states.old.functions.iter().filter(|f| !f.helper) {
        let new = new_name(&function.name);
        let Some(&now) = functions.get(new.as_str()) else { continue };
        if new != function.name {
            out.push(Change::RenameObject {
                kind: function.kind(),
                on: None,
                old: function.name.clone(),
                new: new.clone(),
                params: function.params.iter().map(|(_, ty)| ty.clone()).collect(),
            });
        }
        let moved = Function { name: new, ..function.clone() };
        if moved != *now {
            // A new signature is a DROP and a CREATE, which forgets who may execute it.
            let remade = moved.params != now.params || moved.returns != now.returns;
            out.push(Change::ReplaceFunction { old: moved, new: now.clone() });
            if remade {
                let grants = renamed.grants.iter().filter(|g| g.kind == "FUNCTION" && g.object == now.name);
                out.extend(grants.map(|g| Change::GrantPrivilege(g.clone())));
                if now.revoke_public {
                    out.push(Change::PublicExecute { function: now.clone(), revoked: true });
                }
            }
        }
    }
    for trigger in &states.old.triggers {
        let new = new_name(&trigger.name);
        let on_view = views.contains_key(new_name(&trigger.table).as_str());
        let on = if on_view { new_name(&trigger.table) } else { table(&trigger.table) };
        let Some(&now) = triggers.get(&(new.as_str(), on.as_str())) else { continue };
        if remade.contains(&on) {
            out.push(Change::CreateTrigger(now.clone()));
            continue;
        }
        if new != trigger.name {
            out.push(Change::RenameObject {
                kind: "TRIGGER",
                on: Some(on.clone()),
                old: trigger.name.clone(),
                new: new.clone(),
                params: Vec::new(),
            });
        }
        if now.comment != trigger.comment {
            let target = format!("TRIGGER {} ON {}", ident(&new), qualified(schema, &on));
            out.push(comment(target, &new, &trigger.comment, &now.comment));
        }
    }
    for policy in &states.old.policies {
        let (on, new) = (table(&policy.table), new_name(&policy.name));
        let Some(&now) = policies.get(&(new.as_str(), on.as_str())) else { continue };
        if new != policy.name {
            out.push(Change::RenameObject {
                kind: "POLICY",
                on: Some(on.clone()),
                old: policy.name.clone(),
                new: new.clone(),
                params: Vec::new(),
            });
        }
        if now.comment != policy.comment {
            let target = format!("POLICY {} ON {}", ident(&new), qualified(schema, &on));
            out.push(comment(target, &new, &policy.comment, &now.comment));
        }
    }
}

/// Whether a created table looks like a dropped one: at least half of the
/// dropped table's columns, by name and type, are in it.
fn alike(dropped: &Table, created: &Table) -> bool {
    let shared = dropped.columns.iter().filter(|c| created.column(&c.name).is_some_and(|n| n.ty == c.ty)).count();
    shared * 2 >= dropped.columns.len()
}

fn replace(drop: Change, add: Change) -> Change {
    Change::Replace { drop: Box::new(drop), add: Box::new(add) }
}

fn by_name<'a, T, K: Ord>(items: &'a [T], name: impl Fn(&'a T) -> K) -> BTreeMap<K, &'a T> {
    items.iter().map(|i| (name(i), i)).collect()
}

/// Compares two catalogs object by object.
pub fn catalogs(old: &Catalog, new: &Catalog) -> Vec<Change> {
    let mut out = Vec::new();
    let schema = &new.schema;
    for e in &new.extensions {
        if !old.extensions.contains(e) {
            out.push(Change::CreateExtension(e.clone()));
        }
    }
    enums(old, new, &mut out);
    domains(old, new, &mut out);
    let old_tables = by_name(&old.tables, |t| t.name.as_str());
    let new_tables = by_name(&new.tables, |t| t.name.as_str());
    for (name, table) in &new_tables {
        match old_tables.get(name) {
            None => out.push(Change::CreateTable((*table).clone())),
            Some(before) if before == table => {}
            Some(before) => table_changes(before, table, schema, &mut out),
        }
    }
    let created: BTreeSet<&str> = new_tables.keys().filter(|n| !old_tables.contains_key(*n)).copied().collect();
    let dropped: BTreeSet<&str> = old_tables.keys().filter(|n| !new_tables.contains_key(*n)).copied().collect();
    for table in drop_order(&old_tables, &old.foreign_keys, &dropped, &mut out) {
        let lookalike =
            created.iter().find(|c| new_tables.get(**c).is_some_and(|n| alike(table, n))).map(|c| c.to_string());
        out.push(Change::DropTable { table: table.clone(), lookalike });
    }
    foreign_keys(old, new, &created, &dropped, &mut out);
    indexes(old, new, &created, &dropped, &mut out);
    let remade = routines(old, new, &dropped, &mut out);
    policies(old, new, &dropped, &mut out);
    access(old, new, &dropped, &remade, &mut out);
    swap_unique_forms(&mut out);
    out
}

/// A unique constraint that becomes a partial unique index of the same name
/// (or back, as `soft_delete` comes and goes) is one replacement: the old
/// form must be gone before the new one takes its name, and the index is
/// built in that transaction so uniqueness never lapses.
fn swap_unique_forms(out: &mut Vec<Change>) {
    let mut i = 0;
    while i < out.len() {
        let partner = match &out[i] {
            Change::DropUnique { table, key } => out.iter().position(
                |c| matches!(c, Change::CreateIndex { index, .. } if index.name == key.name && &index.table == table),
            ),
            Change::DropIndex { index, .. } => out.iter().position(
                |c| matches!(c, Change::AddUnique { table, key } if key.name == index.name && *table == index.table),
            ),
            _ => None,
        };
        let Some(j) = partner else {
            i += 1;
            continue;
        };
        let add = match out.remove(j) {
            Change::CreateIndex { index, partitioned, .. } => Change::CreateIndex { index, fresh: true, partitioned },
            other => other,
        };
        let i = if j < i { i - 1 } else { i };
        let drop = out.remove(i);
        out.insert(i, replace(drop, add));
    }
}

fn policies(old: &Catalog, new: &Catalog, dropped_tables: &BTreeSet<&str>, out: &mut Vec<Change>) {
    fn key(p: &Policy) -> (&str, &str) {
        (p.table.as_str(), p.name.as_str())
    }
    let before = by_name(&old.policies, key);
    let after = by_name(&new.policies, key);
    for (k, p) in &after {
        match before.get(k) {
            Some(o) if o == p => {}
            Some(o) if Policy { comment: None, ..(*o).clone() } == Policy { comment: None, ..(*p).clone() } => {
                let target = format!("POLICY {} ON {}", ident(&p.name), qualified(&new.schema, &p.table));
                out.push(comment(target, &p.name, &o.comment, &p.comment));
            }
            Some(o) => out.push(replace(Change::DropPolicy((*o).clone()), Change::CreatePolicy((*p).clone()))),
            None => out.push(Change::CreatePolicy((*p).clone())),
        }
    }
    for (k, p) in &before {
        if !after.contains_key(k) && !dropped_tables.contains(p.table.as_str()) {
            out.push(Change::DropPolicy((*p).clone()));
        }
    }
}

/// The dropped tables in an order PostgreSQL accepts: a table before the
/// tables its foreign keys point at (`DROP TABLE` refuses to drop a table
/// that another table's foreign key still references). The foreign keys of
/// a cycle among them are dropped first, by themselves.
fn drop_order<'a>(
    old_tables: &BTreeMap<&str, &'a Table>,
    foreign_keys: &[ForeignKey],
    dropped: &BTreeSet<&str>,
    out: &mut Vec<Change>,
) -> Vec<&'a Table> {
    let between: Vec<&ForeignKey> = foreign_keys
        .iter()
        .filter(|f| f.table != f.references)
        .filter(|f| dropped.contains(f.table.as_str()) && dropped.contains(f.references.as_str()))
        .collect();
    let mut left: Vec<&Table> = old_tables.values().copied().filter(|t| dropped.contains(t.name.as_str())).collect();
    let mut order = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let referenced = |t: &Table, left: &[&Table]| {
            between.iter().any(|f| f.references == t.name && left.iter().any(|l| l.name == f.table))
        };
        match left.iter().position(|t| !referenced(t, &left)) {
            Some(i) => order.push(left.remove(i)),
            None => {
                let in_cycle = |name: &str| left.iter().any(|l| l.name == name);
                for f in between.iter().filter(|f| in_cycle(&f.table) && in_cycle(&f.references)) {
                    out.push(Change::DropForeignKey((*f).clone()));
                }
                order.append(&mut left);
            }
        }
    }
    order
}

fn enums(old: &Catalog, new: &Catalog, out: &mut Vec<Change>) {
    let before = by_name(&old.enums, |e| e.name.as_str());
    let after = by_name(&new.enums, |e| e.name.as_str());
    for (name, e) in &after {
        let Some(o) = before.get(name) else {
            out.push(Change::CreateEnum((*e).clone()));
            continue;
        };
        if o.labels != e.labels {
            let kept: Vec<&String> = e.labels.iter().filter(|l| o.labels.contains(l)).collect();
            let only_added = o.labels.iter().all(|l| e.labels.contains(l)) && kept.iter().copied().eq(o.labels.iter());
            if only_added {
                for (i, label) in e.labels.iter().enumerate() {
                    if !o.labels.contains(label) {
                        let before = e.labels[i + 1..].iter().find(|l| o.labels.contains(l)).cloned();
                        out.push(Change::AddEnumValue { name: name.to_string(), value: label.clone(), before });
                    }
                }
            } else {
                let ty = qualified(&new.schema, name);
                let columns = new
                    .tables
                    .iter()
                    .flat_map(|t| {
                        t.columns
                            .iter()
                            .filter(|c| c.ty == ty)
                            .map(move |c| (t.name.clone(), c.name.clone(), c.default.clone()))
                    })
                    .collect();
                out.push(Change::RebuildEnum { old: (*o).clone(), new: (*e).clone(), columns });
            }
        }
        if o.comment != e.comment {
            out.push(comment(format!("TYPE {}", qualified(&new.schema, name)), name, &o.comment, &e.comment));
        }
    }
    for (name, e) in &before {
        if !after.contains_key(name) {
            out.push(Change::DropEnum((*e).clone()));
        }
    }
}

fn comment(target: String, object: &str, old: &Option<String>, new: &Option<String>) -> Change {
    Change::Comment { target, object: object.to_string(), old: old.clone(), new: new.clone() }
}

fn domains(old: &Catalog, new: &Catalog, out: &mut Vec<Change>) {
    let before = by_name(&old.domains, |d| d.name.as_str());
    let after = by_name(&new.domains, |d| d.name.as_str());
    for (name, d) in &after {
        let Some(o) = before.get(name) else {
            out.push(Change::CreateDomain((*d).clone()));
            continue;
        };
        if o.base != d.base {
            out.push(Change::Unsupported {
                object: format!("type {name}"),
                why: format!(
                    "its base type changes from {} to {}; PostgreSQL cannot alter a domain's type",
                    o.base, d.base
                ),
            });
        } else if o.check != d.check {
            out.push(Change::ChangeDomainCheck { name: name.to_string(), old: o.check.clone(), new: d.check.clone() });
        }
        if o.comment != d.comment {
            out.push(comment(format!("DOMAIN {}", qualified(&new.schema, name)), name, &o.comment, &d.comment));
        }
    }
    for (name, d) in &before {
        if !after.contains_key(name) {
            out.push(Change::DropDomain((*d).clone()));
        }
    }
}

fn table_changes(old: &Table, new: &Table, schema: &str, out: &mut Vec<Change>) {
    let t = &new.name;
    if old.partition != new.partition {
        out.push(Change::Unsupported {
            object: format!("table {t}"),
            why: "its partitioning changes; PostgreSQL cannot repartition a table in place (copy it into a new table)"
                .into(),
        });
    }
    let old_columns = by_name(&old.columns, |c| c.name.as_str());
    let new_columns = by_name(&new.columns, |c| c.name.as_str());
    for column in &new.columns {
        let Some(before) = old_columns.get(column.name.as_str()) else {
            out.push(Change::AddColumn { table: t.clone(), column: column.clone() });
            continue;
        };
        column_changes(t, before, column, schema, out);
    }
    for column in &old.columns {
        if !new_columns.contains_key(column.name.as_str()) {
            let added = new.columns.iter().filter(|c| !old_columns.contains_key(c.name.as_str()));
            let lookalike = added.clone().find(|c| c.ty == column.ty).or(added.clone().next()).map(|c| c.name.clone());
            out.push(Change::DropColumn { table: t.clone(), column: column.clone(), lookalike });
        }
    }
    match (&old.primary_key, &new.primary_key) {
        (a, b) if a == b => {}
        (Some(a), Some(b)) => out.push(replace(
            Change::DropPrimaryKey { table: t.clone(), key: a.clone() },
            Change::AddPrimaryKey { table: t.clone(), key: b.clone() },
        )),
        (Some(a), None) => out.push(Change::DropPrimaryKey { table: t.clone(), key: a.clone() }),
        (None, Some(b)) => out.push(Change::AddPrimaryKey { table: t.clone(), key: b.clone() }),
        (None, None) => {}
    }
    let old_uniques = by_name(&old.uniques, |u| u.name.as_str());
    let new_uniques = by_name(&new.uniques, |u| u.name.as_str());
    for (name, u) in &new_uniques {
        match old_uniques.get(name) {
            Some(o) if o == u => {}
            Some(o) => out.push(replace(
                Change::DropUnique { table: t.clone(), key: (*o).clone() },
                Change::AddUnique { table: t.clone(), key: (*u).clone() },
            )),
            None => out.push(Change::AddUnique { table: t.clone(), key: (*u).clone() }),
        }
    }
    for (name, u) in &old_uniques {
        if !new_uniques.contains_key(name) {
            out.push(Change::DropUnique { table: t.clone(), key: (*u).clone() });
        }
    }
    let old_checks = by_name(&old.checks, |c| c.name.as_str());
    let new_checks = by_name(&new.checks, |c| c.name.as_str());
    for (name, c) in &new_checks {
        match old_checks.get(name) {
            Some(o) if o.expr == c.expr => {}
            Some(o) => out.push(replace(
                Change::DropCheck { table: t.clone(), check: (*o).clone() },
                Change::AddCheck { table: t.clone(), check: (*c).clone() },
            )),
            None => out.push(Change::AddCheck { table: t.clone(), check: (*c).clone() }),
        }
    }
    for (name, c) in &old_checks {
        if !new_checks.contains_key(name) {
            out.push(Change::DropCheck { table: t.clone(), check: (*c).clone() });
        }
    }
    let old_parts = by_name(&old.partitions, |p| p.name.as_str());
    let new_parts = by_name(&new.partitions, |p| p.name.as_str());
    if old.partition == new.partition {
        for (name, p) in &new_parts {
            match old_parts.get(name) {
                Some(o) if o == p => {}
                Some(_) => out.push(Change::Unsupported {
                    object: format!("partition {name}"),
                    why: "its bounds change; detach it and attach a new one by hand".into(),
                }),
                None => out.push(Change::AddPartition { table: new.clone(), partition: (*p).clone() }),
            }
        }
        for (name, p) in &old_parts {
            if !new_parts.contains_key(name) {
                out.push(Change::DropPartition { table: t.clone(), partition: (*p).clone() });
            }
        }
    }
    let old_exclusions = by_name(&old.exclusions, |x| x.name.as_str());
    let new_exclusions = by_name(&new.exclusions, |x| x.name.as_str());
    for (name, x) in &new_exclusions {
        match old_exclusions.get(name) {
            Some(o) if o == x => {}
            Some(o) => out.push(replace(
                Change::DropExclusion { table: t.clone(), exclusion: (*o).clone() },
                Change::AddExclusion { table: t.clone(), exclusion: (*x).clone() },
            )),
            None => out.push(Change::AddExclusion { table: t.clone(), exclusion: (*x).clone() }),
        }
    }
    for (name, x) in &old_exclusions {
        if !new_exclusions.contains_key(name) {
            out.push(Change::DropExclusion { table: t.clone(), exclusion: (*x).clone() });
        }
    }
    if old.row_security != new.row_security {
        out.push(Change::SetRowSecurity { table: t.clone(), from: old.row_security, to: new.row_security });
    }
    if old.comment != new.comment {
        out.push(comment(format!("TABLE {}", qualified(schema, t)), t, &old.comment, &new.comment));
    }
}

fn column_changes(table: &str, old: &Column, new: &Column, schema: &str, out: &mut Vec<Change>) {
    let t = table.to_string();
    let c = new.name.clone();
    if old.identity != new.identity || old.serial != new.serial || old.generated != new.generated {
        out.push(Change::RecreateColumn { table: t, old: old.clone(), new: new.clone() });
        return;
    }
    if old.identity && old.identity_always != new.identity_always {
        out.push(Change::SetIdentityKind { table: t.clone(), column: c.clone(), always: new.identity_always });
    }
    if old.ty != new.ty {
        out.push(Change::ChangeColumnType { table: t.clone(), old: old.clone(), new: new.clone() });
    }
    if old.default != new.default {
        out.push(Change::ChangeDefault {
            table: t.clone(),
            column: c.clone(),
            old: old.default.clone(),
            new: new.default.clone(),
        });
    }
    match (old.not_null, new.not_null) {
        (false, true) => out.push(Change::SetNotNull { table: t.clone(), column: c.clone() }),
        (true, false) => out.push(Change::DropNotNull { table: t.clone(), column: c.clone() }),
        _ => {}
    }
    if old.comment != new.comment {
        let target = format!("COLUMN {}.{}", qualified(schema, &t), ident(&c));
        out.push(comment(target, &format!("{t}.{c}"), &old.comment, &new.comment));
    }
}

fn foreign_keys(
    old: &Catalog,
    new: &Catalog,
    created: &BTreeSet<&str>,
    dropped_tables: &BTreeSet<&str>,
    out: &mut Vec<Change>,
) {
    let add = |f: &ForeignKey| Change::AddForeignKey { fk: f.clone(), fresh: created.contains(f.table.as_str()) };
    fn key(f: &ForeignKey) -> (&str, &str) {
        (f.table.as_str(), f.name.as_str())
    }
    let before = by_name(&old.foreign_keys, key);
    let after = by_name(&new.foreign_keys, key);
    for (k, f) in &after {
        match before.get(k) {
            Some(o) if same_foreign_key(o, f) => {
                if o.comment != f.comment {
                    let target = format!("CONSTRAINT {} ON {}", ident(&f.name), qualified(&new.schema, &f.table));
                    out.push(comment(target, &format!("{}.{}", k.0, k.1), &o.comment, &f.comment));
                }
            }
            Some(o) => out.push(replace(Change::DropForeignKey((*o).clone()), add(f))),
            None => out.push(add(f)),
        }
    }
    for (k, f) in &before {
        if !after.contains_key(k) && !dropped_tables.contains(f.table.as_str()) {
            out.push(Change::DropForeignKey((*f).clone()));
        }
    }
}

fn same_foreign_key(a: &ForeignKey, b: &ForeignKey) -> bool {
    ForeignKey { comment: None, ..a.clone() } == ForeignKey { comment: None, ..b.clone() }
}

fn indexes(old: &Catalog, new: &Catalog, created: &BTreeSet<&str>, dropped: &BTreeSet<&str>, out: &mut Vec<Change>) {
    let (old_partitioned, new_partitioned) = (Partitioned::of(old), Partitioned::of(new));
    let before = by_name(&old.indexes, |i| i.name.as_str());
    let after = by_name(&new.indexes, |i| i.name.as_str());
    for (name, i) in &after {
        match before.get(name) {
            Some(o) if Index { comment: None, ..(*o).clone() } == Index { comment: None, ..(*i).clone() } => {
                if o.comment != i.comment {
                    out.push(comment(format!("INDEX {}", qualified(&new.schema, name)), name, &o.comment, &i.comment));
                }
            }
            Some(o) => out.push(replace(
                Change::DropIndex { index: (*o).clone(), partitioned: old_partitioned.contains(&o.table) },
                Change::CreateIndex {
                    index: (*i).clone(),
                    fresh: false,
                    partitioned: new_partitioned.contains(&i.table),
                },
            )),
            None => out.push(Change::CreateIndex {
                index: (*i).clone(),
                fresh: created.contains(i.table.as_str()),
                partitioned: new_partitioned.contains(&i.table),
            }),
        }
    }
    for (name, i) in &before {
        if !after.contains_key(name) && !dropped.contains(i.table.as_str()) {
            out.push(Change::DropIndex { index: (*i).clone(), partitioned: old_partitioned.contains(&i.table) });
        }
    }
}

/// Which tables of a catalog are partitioned, by name (the first table of
/// a name decides, as [`Catalog::table`] finds it).
struct Partitioned<'a>(HashMap<&'a str, bool>);

impl<'a> Partitioned<'a> {
    fn of(catalog: &'a Catalog) -> Partitioned<'a> {
        let mut tables = HashMap::with_capacity(catalog.tables.len());
        for t in &catalog.tables {
            tables.entry(t.name.as_str()).or_insert(t.partition.is_some());
        }
        Partitioned(tables)
    }

    fn contains(&self, table: &str) -> bool {
        self.0.get(table).copied().unwrap_or(false)
    }
}

/// Returns the views and routines made again (dropped and created), whose
/// privileges must be granted again.
fn routines(old: &Catalog, new: &Catalog, dropped_tables: &BTreeSet<&str>, out: &mut Vec<Change>) -> BTreeSet<String> {
    let mut remade = BTreeSet::new();
    // Aggregates are dropped before the functions they step with, and made
    // after them (the plan keeps the order of changes of one kind).
    let aggregates_before = by_name(&old.aggregates, |a| a.name.as_str());
    let aggregates_after = by_name(&new.aggregates, |a| a.name.as_str());
    for (name, a) in &aggregates_before {
        if aggregates_after.get(name).is_none_or(|n| n.params != a.params) {
            out.push(Change::DropAggregate((*a).clone()));
        }
    }
    let before = by_name(&old.functions, |f| f.name.as_str());
    let after = by_name(&new.functions, |f| f.name.as_str());
    // Who may execute is not part of the definition: `access` compares it.
    let definition = |f: &Function| Function { revoke_public: false, ..f.clone() };
    for (name, f) in &after {
        match before.get(name) {
            None => out.push(Change::CreateFunction((*f).clone())),
            Some(o) if definition(o) == definition(f) => {}
            Some(o) => {
                if o.params != f.params || o.returns != f.returns {
                    remade.insert(name.to_string());
                }
                out.push(Change::ReplaceFunction { old: (*o).clone(), new: (*f).clone() })
            }
        }
    }
    for (name, f) in &before {
        if !after.contains_key(name) {
            out.push(Change::DropFunction((*f).clone()));
        }
    }
    for (name, a) in &aggregates_after {
        match aggregates_before.get(name) {
            Some(o) if o == a => {}
            Some(o) if o.params == a.params => {
                out.push(Change::ReplaceAggregate { old: (*o).clone(), new: (*a).clone() })
            }
            _ => out.push(Change::CreateAggregate((*a).clone())),
        }
    }
    // A view is made again when it changes or when a table it reads changes
    // a column's type or loses one (PostgreSQL refuses those under a view).
    let no_views = old.views.is_empty() && new.views.is_empty();
    let old_tables = if no_views { BTreeMap::new() } else { by_name(&old.tables, |t| t.name.as_str()) };
    let touched: BTreeSet<String> = new
        .tables
        .iter()
        .filter(|t| {
            old_tables.get(t.name.as_str()).is_some_and(|o| {
                o.columns.iter().any(|c| {
                    t.column(&c.name).is_none_or(|n| {
                        n.ty != c.ty || n.generated != c.generated || n.identity != c.identity || n.serial != c.serial
                    })
                })
            })
        })
        .map(|t| t.name.clone())
        .collect();
    let touched: Vec<String> = touched.iter().map(|t| qualified(&new.schema, t)).collect();
    let reads_touched = |v: &View| touched.iter().any(|t| v.query.contains(t.as_str()));
    let before = by_name(&old.views, |v| v.name.as_str());
    let after = by_name(&new.views, |v| v.name.as_str());
    // Views dropped (for good or to be made again) take their triggers along.
    let mut unmade: BTreeSet<&str> = BTreeSet::new();
    for (name, v) in &after {
        match before.get(name) {
            Some(o) if o == v && !reads_touched(o) => {}
            Some(o)
                if View { comment: None, ..(*o).clone() } == View { comment: None, ..(*v).clone() }
                    && !reads_touched(o) =>
            {
                let kind = v.kind();
                out.push(comment(format!("{kind} {}", qualified(&new.schema, name)), name, &o.comment, &v.comment));
            }
            Some(o) => {
                unmade.insert(name);
                out.push(Change::DropView((*o).clone()));
                out.push(Change::CreateView((*v).clone()));
            }
            None => out.push(Change::CreateView((*v).clone())),
        }
    }
    for (name, v) in &before {
        if !after.contains_key(name) {
            unmade.insert(name);
            out.push(Change::DropView((*v).clone()));
        }
    }
    fn key(t: &Trigger) -> (&str, &str) {
        (t.table.as_str(), t.name.as_str())
    }
    let before = by_name(&old.triggers, key);
    let after = by_name(&new.triggers, key);
    for (k, t) in &after {
        match before.get(k) {
            Some(o) if o == t && !unmade.contains(t.table.as_str()) => {}
            Some(o) if !unmade.contains(t.table.as_str()) => {
                out.push(replace(Change::DropTrigger((*o).clone()), Change::CreateTrigger((*t).clone())))
            }
            _ => out.push(Change::CreateTrigger((*t).clone())),
        }
    }
    for (k, t) in &before {
        let gone_with = dropped_tables.contains(t.table.as_str()) || unmade.contains(t.table.as_str());
        if !after.contains_key(k) && !gone_with {
            out.push(Change::DropTrigger((*t).clone()));
        }
    }
    remade.extend(unmade.iter().map(|v| v.to_string()));
    remade
}

/// Roles, privileges and who may execute routines. Objects made by this
/// plan (or made again: `remade`) get every privilege of the new state;
/// objects dropped take theirs along.
fn access(
    old: &Catalog,
    new: &Catalog,
    dropped_tables: &BTreeSet<&str>,
    remade: &BTreeSet<String>,
    out: &mut Vec<Change>,
) {
    let before = by_name(&old.roles, |r| r.name.as_str());
    // Every role is made before any membership names it.
    let bare = |r: &Role| Role { member_of: Vec::new(), ..r.clone() };
    for role in new.roles.iter().filter(|r| !before.contains_key(r.name.as_str())) {
        out.push(Change::CreateRole(bare(role)));
    }
    for role in &new.roles {
        match before.get(role.name.as_str()) {
            None if role.member_of.is_empty() => {}
            None => out.push(Change::ChangeRole { old: bare(role), new: role.clone() }),
            Some(o) if *o == role => {}
            Some(o) => out.push(Change::ChangeRole { old: (*o).clone(), new: role.clone() }),
        }
    }
    // Names of the objects privileges can be granted on, per state.
    let objects = |c: &'_ Catalog| -> (BTreeSet<String>, BTreeSet<String>) {
        let relations = c.tables.iter().map(|t| t.name.clone()).chain(c.views.iter().map(|v| v.name.clone()));
        (relations.collect(), c.functions.iter().map(|f| f.name.clone()).collect())
    };
    let (old_objects, new_objects) = (objects(old), objects(new));
    let exists = |(relations, routines): &(BTreeSet<String>, BTreeSet<String>), g: &Grant| match g.kind.as_str() {
        "FUNCTION" => routines.contains(&g.object),
        _ => relations.contains(&g.object),
    };
    let old_grants: BTreeSet<&Grant> = old.grants.iter().collect();
    let new_grants: BTreeSet<&Grant> = new.grants.iter().collect();
    for g in &new_grants {
        let fresh = !exists(&old_objects, g) || remade.contains(&g.object);
        if fresh || !old_grants.contains(g) {
            out.push(Change::GrantPrivilege((*g).clone()));
        }
    }
    for g in &old_grants {
        let gone = !exists(&new_objects, g) || dropped_tables.contains(g.object.as_str()) || remade.contains(&g.object);
        if !gone && !new_grants.contains(g) {
            out.push(Change::RevokePrivilege((*g).clone()));
        }
    }
    let before = by_name(&old.functions, |f| f.name.as_str());
    for f in &new.functions {
        let was = before.get(f.name.as_str()).filter(|_| !remade.contains(&f.name)).map(|o| o.revoke_public);
        if was.unwrap_or(false) != f.revoke_public {
            out.push(Change::PublicExecute { function: f.clone(), revoked: f.revoke_public });
        }
    }
}
