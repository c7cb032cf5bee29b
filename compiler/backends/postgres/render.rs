//! Prints a [`Catalog`] as one PostgreSQL script, in dependency order:
//! schema and extensions, helper routines, types, tables (with their keys,
//! uniques and checks) and partitions, foreign keys (after every table, so
//! cycles need nothing special), indexes, then functions, aggregates,
//! views, triggers and row-level security policies.
//! Each object's COMMENT follows it. The script runs in one transaction and
//! is byte-identical for the same catalog. Names and literals are quoted by
//! `quote.rs`; this module adds no user text of its own.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use super::model::*;
use super::quote::{self, ident, ident_list, literal};

/// The statements of one script, with section headings.
pub fn script(catalog: &Catalog, header: &str) -> String {
    script_all(std::slice::from_ref(catalog), header)
}

/// An object with the renderer of its schema.
type InSchema<'a, T> = (&'a Renderer<'a>, &'a T);

/// One script for the catalogs of several schemas (`placement.rs`): each
/// section holds the objects of every schema, in catalog order, so a
/// foreign key or view may name a table of any of them.
pub fn script_all(catalogs: &[Catalog], header: &str) -> String {
    let tables: usize = catalogs.iter().map(|c| c.tables.len()).sum();
    let mut out = String::with_capacity(4096 + tables * 1024);
    // PostgreSQL ends a `--` comment at `\r` as well as at `\n`.
    for line in header.lines().flat_map(|line| line.split('\r')) {
        let _ = writeln!(out, "-- {line}");
    }
    // Literals are written for standard-conforming strings (a backslash is
    // an ordinary character); make sure the session reads them that way.
    out.push_str("\nSET standard_conforming_strings = on;\n");
    let locks: usize = catalogs.iter().map(lock_count).sum();
    let transactional = locks <= MAX_LOCKS_IN_ONE_TRANSACTION;
    if transactional {
        out.push_str("BEGIN;\n");
        // Function bodies are checked when they run, as pg_dump does: a view
        // a function reads may come later in the script.
        out.push_str("SET LOCAL check_function_bodies = false;\n");
    } else {
        let _ = writeln!(
            out,
            "\n-- Not one transaction: creating these objects takes about {locks} locks, more than PostgreSQL's default\n\
             -- lock table holds (max_locks_per_transaction = 64). Apply to an empty database and\n\
             -- drop it if a statement fails.\nSET check_function_bodies = false;"
        );
    }
    let renderers: Vec<Renderer> = catalogs.iter().map(|c| Renderer { schema: &c.schema }).collect();
    let all = || catalogs.iter().zip(&renderers);
    for catalog in catalogs.iter().filter(|c| c.schema != "public") {
        let _ = writeln!(out, "\nCREATE SCHEMA {};", ident(&catalog.schema));
    }
    for (catalog, _) in all() {
        for extension in &catalog.extensions {
            let _ = writeln!(out, "\nCREATE EXTENSION IF NOT EXISTS {};", ident(extension));
        }
    }
    let roles: Vec<(&Renderer, &Role)> = all().flat_map(|(c, r)| c.roles.iter().map(move |x| (r, x))).collect();
    section(&mut out, "Roles", &roles.iter().collect::<Vec<_>>(), |out, (r, role)| r.role(out, role));
    // Memberships once every role exists.
    for (r, role) in &roles {
        r.memberships(&mut out, role);
    }
    let every_function: Vec<(&Renderer, &Function)> =
        all().flat_map(|(c, r)| c.functions.iter().map(move |x| (r, x))).collect();
    let (helpers, functions): (Vec<&InSchema<Function>>, Vec<&InSchema<Function>>) =
        every_function.iter().partition(|(_, f)| f.helper);
    section(&mut out, "Helpers", &helpers, |out, (r, f)| r.function(out, f));
    let enums: Vec<(&Renderer, &EnumType)> = all().flat_map(|(c, r)| c.enums.iter().map(move |x| (r, x))).collect();
    section(&mut out, "Enums", &enums.iter().collect::<Vec<_>>(), |out, (r, e)| r.enum_type(out, e));
    let domains: Vec<(&Renderer, &DomainType)> =
        all().flat_map(|(c, r)| c.domains.iter().map(move |x| (r, x))).collect();
    section(&mut out, "Domains", &domains.iter().collect::<Vec<_>>(), |out, (r, d)| r.domain(out, d));
    // Functions before the tables whose defaults, checks and generated
    // columns may call them (bodies are not checked yet); those whose
    // signature names a table's row type after the tables.
    let mut row_types = HashSet::new();
    for catalog in catalogs {
        row_types.extend(row_type_spellings(catalog));
    }
    let (late, early): (Vec<&InSchema<Function>>, Vec<&InSchema<Function>>) =
        functions.iter().partition(|(_, f)| names_a_row_type(&row_types, f));
    section(&mut out, "Functions", &early, |out, (r, f)| r.function(out, f));
    let tables: Vec<(&Renderer, &Table)> = all().flat_map(|(c, r)| c.tables.iter().map(move |x| (r, x))).collect();
    section(&mut out, "Tables", &tables.iter().collect::<Vec<_>>(), |out, (r, t)| r.table(out, t));
    let keys: Vec<(&Renderer, &ForeignKey)> =
        all().flat_map(|(c, r)| c.foreign_keys.iter().map(move |x| (r, x))).collect();
    section(&mut out, "Foreign keys", &keys.iter().collect::<Vec<_>>(), |out, (r, fk)| r.foreign_key(out, fk));
    let indexes: Vec<(&Renderer, &Index)> = all().flat_map(|(c, r)| c.indexes.iter().map(move |x| (r, x))).collect();
    section(&mut out, "Indexes", &indexes.iter().collect::<Vec<_>>(), |out, (r, i)| r.index(out, i));
    section(&mut out, "Functions on row types", &late, |out, (r, f)| r.function(out, f));
    // Aggregates over those functions, before the views that call them.
    let aggregates: Vec<(&Renderer, &Aggregate)> =
        all().flat_map(|(c, r)| c.aggregates.iter().map(move |x| (r, x))).collect();
    section(&mut out, "Aggregates", &aggregates.iter().collect::<Vec<_>>(), |out, (r, a)| r.aggregate(out, a));
    let views: Vec<(&Renderer, &View)> =
        all().flat_map(|(c, r)| views_in_dependency_order(c).into_iter().map(move |x| (r, x))).collect();
    section(&mut out, "Views", &views.iter().collect::<Vec<_>>(), |out, (r, v)| r.view(out, v));
    let triggers: Vec<(&Renderer, &Trigger)> =
        all().flat_map(|(c, r)| c.triggers.iter().map(move |x| (r, x))).collect();
    section(&mut out, "Triggers", &triggers.iter().collect::<Vec<_>>(), |out, (r, t)| r.trigger(out, t));
    let policies: Vec<(&Renderer, &Policy)> = all().flat_map(|(c, r)| c.policies.iter().map(move |x| (r, x))).collect();
    section(&mut out, "Row-level security", &policies.iter().collect::<Vec<_>>(), |out, (r, p)| r.policy(out, p));
    let revoked: Vec<&InSchema<Function>> = every_function.iter().filter(|(_, f)| f.revoke_public).collect();
    if catalogs.iter().any(|c| !c.grants.is_empty()) || !revoked.is_empty() {
        out.push_str("\n-- Privileges\n\n");
        for (r, f) in revoked {
            let _ = writeln!(out, "{};", r.revoke_public(f));
        }
        for catalog in catalogs {
            for role in schema_users(catalog) {
                let _ = writeln!(out, "GRANT USAGE ON SCHEMA {} TO {};", ident(&catalog.schema), ident(role));
            }
        }
        // One statement per object and role: `GRANT SELECT, INSERT ON …`.
        for (catalog, r) in all() {
            let mut i = 0;
            while i < catalog.grants.len() {
                let g = &catalog.grants[i];
                let same =
                    |o: &Grant| (&o.kind, &o.object, &o.params, &o.role) == (&g.kind, &g.object, &g.params, &g.role);
                let group: Vec<&Grant> = catalog.grants[i..].iter().take_while(|o| same(o)).collect();
                i += group.len();
                let _ = writeln!(out, "{};", r.grants(&group));
            }
        }
    }
    if transactional {
        out.push_str("\nCOMMIT;\n");
    }
    out
}

/// The views, each after the views its query names (hand-written SQL views
/// may read one another); otherwise in catalog order.
pub fn views_in_dependency_order(catalog: &Catalog) -> Vec<&View> {
    let names: HashSet<&str> = catalog.views.iter().map(|v| v.name.as_str()).collect();
    // The other views each view's query names (its words that are view names).
    let reads: Vec<Vec<&str>> = catalog
        .views
        .iter()
        .map(|v| {
            let words = v.query.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '"'));
            let mut read: Vec<&str> = Vec::new();
            for word in words.map(|w| w.trim_matches('"')) {
                if let Some(&name) = names.get(word) {
                    if name != v.name && !read.contains(&name) {
                        read.push(name);
                    }
                }
            }
            read
        })
        .collect();
    // How many views of each name are still to place, and the names placed.
    let mut waiting: HashMap<&str, usize> = HashMap::new();
    for v in &catalog.views {
        *waiting.entry(v.name.as_str()).or_default() += 1;
    }
    let mut placed: HashSet<&str> = HashSet::new();
    let mut done: Vec<&View> = Vec::with_capacity(catalog.views.len());
    let mut left: Vec<usize> = (0..catalog.views.len()).collect();
    while !left.is_empty() {
        let ready = left.iter().position(|&i| {
            reads[i].iter().all(|n| placed.contains(n) || waiting.get(n).is_none_or(|count| *count == 0))
        });
        let view = &catalog.views[left.remove(ready.unwrap_or(0))];
        if let Some(count) = waiting.get_mut(view.name.as_str()) {
            *count -= 1;
        }
        placed.insert(view.name.as_str());
        done.push(view);
    }
    done
}

/// Every way a function's signature may name a table's row type: the
/// table's name qualified, bare, and quoted as an identifier.
fn row_type_spellings(catalog: &Catalog) -> HashSet<String> {
    let mut spellings = HashSet::with_capacity(catalog.tables.len() * 3);
    for table in &catalog.tables {
        spellings.insert(quote::qualified(&catalog.schema, &table.name));
        spellings.insert(table.name.clone());
        spellings.insert(ident(&table.name));
    }
    spellings
}

/// Whether a parameter or the result of `f` is a table's row type.
fn names_a_row_type(row_types: &HashSet<String>, f: &Function) -> bool {
    let types = f.params.iter().map(|(_, t)| t.as_str()).chain(std::iter::once(f.returns.as_str()));
    types.map(|t| t.trim_start_matches("SETOF ").trim_end_matches("[]")).any(|t| row_types.contains(t))
}

/// Locks one transaction may take with PostgreSQL's default settings
/// (max_locks_per_transaction 64 × max_connections 100 is the shared lock
/// table; leave room for other sessions).
const MAX_LOCKS_IN_ONE_TRANSACTION: usize = 2_000;

/// Roughly how many relation locks creating the catalog takes: one per
/// table, partition, index, view and sequence, two per foreign key.
fn lock_count(catalog: &Catalog) -> usize {
    let tables: usize = catalog
        .tables
        .iter()
        .map(|t| 1 + t.partitions.len() * 2 + t.columns.iter().filter(|c| c.identity).count())
        .sum();
    let keys: usize = catalog.tables.iter().map(|t| t.uniques.len() + usize::from(t.primary_key.is_some())).sum();
    tables + keys + catalog.indexes.len() + catalog.views.len() + catalog.foreign_keys.len() * 2
}

fn section<T>(out: &mut String, title: &str, items: &[&T], mut render: impl FnMut(&mut String, &T)) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n-- {title}");
    for item in items {
        out.push('\n');
        render(out, item);
    }
}

/// Roles granted anything in the schema: they need USAGE on it.
pub fn schema_users(catalog: &Catalog) -> std::collections::BTreeSet<&str> {
    catalog.grants.iter().map(|g| g.role.as_str()).collect()
}

pub struct Renderer<'a> {
    pub schema: &'a str,
}

impl Renderer<'_> {
    pub fn name(&self, name: &str) -> String {
        quote::qualified(self.schema, name)
    }

    /// A table or routine another object names: in this schema, or already
    /// `schema.name` when it lives in another (`placement.rs`).
    pub fn reference(&self, name: &str) -> String {
        if quote::is_qualified(name) {
            name.to_string()
        } else {
            self.name(name)
        }
    }

    fn comment(&self, out: &mut String, on: &str, comment: &Option<String>) {
        if let Some(text) = comment {
            let _ = writeln!(out, "COMMENT ON {on} IS {};", literal(text));
        }
    }

    pub fn enum_type(&self, out: &mut String, e: &EnumType) {
        let labels: Vec<String> = e.labels.iter().map(|l| literal(l)).collect();
        let _ = writeln!(out, "CREATE TYPE {} AS ENUM ({});", self.name(&e.name), labels.join(", "));
        self.comment(out, &format!("TYPE {}", self.name(&e.name)), &e.comment);
    }

    pub fn domain(&self, out: &mut String, d: &DomainType) {
        let _ = write!(out, "CREATE DOMAIN {} AS {}", self.name(&d.name), d.base);
        if let Some(check) = &d.check {
            let _ = write!(out, "\n  CONSTRAINT {} CHECK ({})", ident(&check.name), check.expr);
        }
        out.push_str(";\n");
        self.comment(out, &format!("DOMAIN {}", self.name(&d.name)), &d.comment);
    }

    pub fn column(&self, out: &mut String, c: &Column) {
        if c.serial {
            // The pseudo-type makes the sequence, the default and the ownership.
            let ty = match c.ty.as_str() {
                "bigint" => "bigserial",
                "smallint" => "smallserial",
                _ => "serial",
            };
            let _ = write!(out, "{} {ty}", ident(&c.name));
            if c.not_null {
                out.push_str(" NOT NULL");
            }
            return;
        }
        let _ = write!(out, "{} {}", ident(&c.name), c.ty);
        if let Some(generated) = &c.generated {
            let _ = write!(out, " GENERATED ALWAYS AS ({generated}) STORED");
        }
        if c.identity {
            out.push_str(if c.identity_always {
                " GENERATED ALWAYS AS IDENTITY"
            } else {
                " GENERATED BY DEFAULT AS IDENTITY"
            });
        }
        if let Some(default) = &c.default {
            let _ = write!(out, " DEFAULT {default}");
        }
        if c.not_null {
            out.push_str(" NOT NULL");
        }
    }

    pub fn table(&self, out: &mut String, t: &Table) {
        let _ = writeln!(out, "CREATE TABLE {} (", self.name(&t.name));
        let mut lines: Vec<String> = Vec::with_capacity(t.columns.len() + 4);
        for c in &t.columns {
            let mut line = String::new();
            self.column(&mut line, c);
            lines.push(line);
        }
        if let Some(pk) = &t.primary_key {
            lines.push(format!("CONSTRAINT {} PRIMARY KEY ({})", ident(&pk.name), ident_list(&pk.columns)));
        }
        for u in &t.uniques {
            lines.push(format!("CONSTRAINT {} UNIQUE ({})", ident(&u.name), ident_list(&u.columns)));
        }
        for c in &t.checks {
            lines.push(format!("CONSTRAINT {} CHECK ({})", ident(&c.name), c.expr));
        }
        for x in &t.exclusions {
            lines.push(format!("CONSTRAINT {} {}", ident(&x.name), self.exclusion(x)));
        }
        out.push_str("  ");
        out.push_str(&lines.join(",\n  "));
        out.push_str("\n)");
        if let Some(p) = &t.partition {
            let _ = write!(out, " PARTITION BY {} ({})", p.strategy, ident_list(&p.columns));
        }
        out.push_str(";\n");
        let table = self.name(&t.name);
        self.comment(out, &format!("TABLE {table}"), &t.comment);
        for c in &t.columns {
            self.comment(out, &format!("COLUMN {table}.{}", ident(&c.name)), &c.comment);
        }
        self.partitions(out, t);
        out.push_str(&self.row_security(&t.name, RowSecurity::Off, t.row_security));
    }

    /// `EXCLUDE USING gist (…)`, as a table constraint is written after its name.
    pub fn exclusion(&self, x: &Exclusion) -> String {
        let elements: Vec<String> = x.elements.iter().map(|(e, op)| format!("{e} WITH {op}")).collect();
        let mut out = format!("EXCLUDE USING {} ({})", x.method, elements.join(", "));
        if let Some(predicate) = &x.predicate {
            let _ = write!(out, " WHERE ({predicate})");
        }
        out
    }

    /// The statements that take a table's row-level security from `from` to
    /// `to` (none when they are the same), one per line.
    pub fn row_security(&self, table: &str, from: RowSecurity, to: RowSecurity) -> String {
        let table = self.name(table);
        let mut out = String::new();
        let mut say = |what: &str| {
            let _ = writeln!(out, "ALTER TABLE {table} {what} ROW LEVEL SECURITY;");
        };
        if from == RowSecurity::Off && to != RowSecurity::Off {
            say("ENABLE");
        }
        if from == RowSecurity::Forced && to != RowSecurity::Forced {
            say("NO FORCE");
        }
        if from != RowSecurity::Forced && to == RowSecurity::Forced {
            say("FORCE");
        }
        if from != RowSecurity::Off && to == RowSecurity::Off {
            say("DISABLE");
        }
        out
    }

    pub fn policy(&self, out: &mut String, p: &Policy) {
        let table = self.name(&p.table);
        let _ = write!(out, "CREATE POLICY {} ON {table}", ident(&p.name));
        if !p.permissive {
            out.push_str(" AS RESTRICTIVE");
        }
        if p.command != "ALL" {
            let _ = write!(out, " FOR {}", p.command);
        }
        if !p.roles.is_empty() {
            let _ = write!(out, " TO {}", ident_list(&p.roles));
        }
        if let Some(using) = &p.using {
            let _ = write!(out, " USING ({using})");
        }
        if let Some(check) = &p.check {
            let _ = write!(out, " WITH CHECK ({check})");
        }
        out.push_str(";\n");
        self.comment(out, &format!("POLICY {} ON {table}", ident(&p.name)), &p.comment);
    }

    /// Creates the role unless the cluster has it (roles are shared by every
    /// database), then its memberships; never changes an existing role.
    pub fn role(&self, out: &mut String, role: &Role) {
        let name = literal(&role.name);
        let login = if role.login { "LOGIN" } else { "NOLOGIN" };
        let _ = writeln!(
            out,
            "DO $role$ BEGIN\n  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {name}) THEN\n    \
             CREATE ROLE {} {login};\n  END IF;\n\
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; -- made meanwhile by another session\n\
             END $role$;",
            ident(&role.name)
        );
        self.comment(out, &format!("ROLE {}", ident(&role.name)), &role.comment);
    }

    /// The memberships `inherits` asks for, unless the role has them already.
    pub fn memberships(&self, out: &mut String, role: &Role) {
        for parent in &role.member_of {
            let _ = writeln!(
                out,
                "DO $role$ BEGIN\n  IF NOT pg_has_role({}, {}, 'MEMBER') THEN\n    GRANT {} TO {};\n  END IF;\nEND $role$;",
                literal(&role.name),
                literal(parent),
                ident(parent),
                ident(&role.name)
            );
        }
    }

    /// `GRANT SELECT (a, b) ON TABLE s.t TO r`, without the semicolon.
    pub fn grant(&self, g: &Grant) -> String {
        self.grants(&[g])
    }

    /// Privileges of one role on one object in one statement.
    pub fn grants(&self, group: &[&Grant]) -> String {
        let privileges: Vec<String> = group.iter().map(|g| self.privilege(g)).collect();
        let g = group[0];
        format!("GRANT {} ON {} TO {}", privileges.join(", "), self.grant_object(g), ident(&g.role))
    }

    /// `REVOKE SELECT (a, b) ON TABLE s.t FROM r`, without the semicolon.
    pub fn revoke(&self, g: &Grant) -> String {
        format!("REVOKE {} ON {} FROM {}", self.privilege(g), self.grant_object(g), ident(&g.role))
    }

    fn privilege(&self, g: &Grant) -> String {
        if g.columns.is_empty() {
            g.privilege.clone()
        } else {
            format!("{} ({})", g.privilege, ident_list(&g.columns))
        }
    }

    fn grant_object(&self, g: &Grant) -> String {
        if g.kind == "FUNCTION" {
            format!("FUNCTION {}({})", self.name(&g.object), g.params.join(", "))
        } else {
            format!("TABLE {}", self.name(&g.object))
        }
    }

    pub fn revoke_public(&self, f: &Function) -> String {
        format!("REVOKE EXECUTE ON {} {} FROM PUBLIC", f.kind(), self.signature(f))
    }

    pub fn drop_policy(&self, p: &Policy) -> String {
        format!("DROP POLICY {} ON {}", ident(&p.name), self.name(&p.table))
    }

    /// The partitions of a partitioned table (for a new table, or one added later).
    pub fn partitions(&self, out: &mut String, t: &Table) {
        for p in &t.partitions {
            self.partition(out, t, p);
        }
    }

    fn partition(&self, out: &mut String, t: &Table, p: &Partition) {
        let parent = self.name(&t.name);
        let bound = match &p.bound {
            PartitionBound::Default => "DEFAULT".to_string(),
            PartitionBound::List(values) => format!("FOR VALUES IN ({})", values.join(", ")),
            PartitionBound::Hash { modulus, remainder } => {
                format!("FOR VALUES WITH (MODULUS {modulus}, REMAINDER {remainder})")
            }
            PartitionBound::Range { from, to } => format!("FOR VALUES FROM ({from}) TO ({to})"),
            PartitionBound::RangeSeries { step, unit, ahead } => {
                let _ = writeln!(
                    out,
                    "CALL {}({}, {}, {}, {ahead});",
                    self.name(super::lower::ENSURE_PARTITIONS),
                    literal(&parent),
                    literal(step),
                    literal(unit)
                );
                return;
            }
        };
        let _ = writeln!(out, "CREATE TABLE {} PARTITION OF {parent} {bound};", self.name(&p.name));
    }

    pub fn foreign_key(&self, out: &mut String, fk: &ForeignKey) {
        let table = self.name(&fk.table);
        let _ = write!(
            out,
            "ALTER TABLE {table} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})",
            ident(&fk.name),
            ident_list(&fk.columns),
            self.reference(&fk.references),
            ident_list(&fk.referenced_columns)
        );
        if fk.on_update != "NO ACTION" {
            let _ = write!(out, " ON UPDATE {}", fk.on_update);
        }
        if fk.on_delete != "NO ACTION" {
            let _ = write!(out, " ON DELETE {}", fk.on_delete);
        }
        if fk.deferrable {
            out.push_str(" DEFERRABLE INITIALLY DEFERRED");
        }
        out.push_str(";\n");
        self.comment(out, &format!("CONSTRAINT {} ON {table}", ident(&fk.name)), &fk.comment);
    }

    /// `CREATE [UNIQUE] INDEX name ON table USING method (…) …`, without the
    /// trailing semicolon (the planner adds CONCURRENTLY to the same text).
    pub fn index_statement(&self, i: &Index) -> String {
        let mut out = format!(
            "CREATE {}INDEX {} ON {} USING {} ({})",
            if i.unique { "UNIQUE " } else { "" },
            ident(&i.name),
            self.name(&i.table),
            i.method,
            i.keys.join(", ")
        );
        if !i.include.is_empty() {
            let _ = write!(out, " INCLUDE ({})", ident_list(&i.include));
        }
        if let Some(predicate) = &i.predicate {
            let _ = write!(out, " WHERE {predicate}");
        }
        out
    }

    pub fn index(&self, out: &mut String, i: &Index) {
        out.push_str(&self.index_statement(i));
        out.push_str(";\n");
        self.comment(out, &format!("INDEX {}", self.name(&i.name)), &i.comment);
    }

    /// `schema.name(type, …)`: how DROP and COMMENT name a routine.
    pub fn signature(&self, f: &Function) -> String {
        let types: Vec<&str> = f.params.iter().map(|(_, t)| t.as_str()).collect();
        format!("{}({})", self.name(&f.name), types.join(", "))
    }

    pub fn drop_function(&self, f: &Function) -> String {
        format!("DROP {} {}", f.kind(), self.signature(f))
    }

    pub fn drop_view(&self, v: &View) -> String {
        format!("DROP {} {}", v.kind(), self.name(&v.name))
    }

    pub fn function(&self, out: &mut String, f: &Function) {
        let params: Vec<String> = f
            .params
            .iter()
            .enumerate()
            .map(|(i, (n, t))| match f.defaults.get(i).cloned().flatten() {
                // A parameter without a name is its type alone (`$1` in the body).
                Some(default) if n.is_empty() => format!("{t} DEFAULT {default}"),
                Some(default) => format!("{} {t} DEFAULT {default}", ident(n)),
                None if n.is_empty() => t.clone(),
                None => format!("{} {t}", ident(n)),
            })
            .collect();
        let kind = f.kind();
        let _ = write!(out, "CREATE {kind} {}({})", self.name(&f.name), params.join(", "));
        if f.returns != "procedure" {
            let _ = write!(out, " RETURNS {}", f.returns);
        }
        let _ = write!(out, " LANGUAGE {}", ident(&f.language));
        if let Some(v) = &f.volatility {
            let _ = write!(out, " {v}");
        }
        if f.strict {
            out.push_str(" STRICT");
        }
        if f.security_definer {
            out.push_str(" SECURITY DEFINER");
        }
        if let Some(path) = &f.search_path {
            let _ = write!(out, " SET search_path = {path}");
        }
        let _ = writeln!(out, " AS {};", quote::dollar_quoted(&f.body));
        self.comment(out, &format!("{kind} {}", self.signature(f)), &f.comment);
    }

    /// `schema.name(type, …)`: how DROP and COMMENT name an aggregate.
    pub fn aggregate_signature(&self, a: &Aggregate) -> String {
        format!("{}({})", self.name(&a.name), a.params.join(", "))
    }

    pub fn drop_aggregate(&self, a: &Aggregate) -> String {
        format!("DROP AGGREGATE {}", self.aggregate_signature(a))
    }

    pub fn aggregate(&self, out: &mut String, a: &Aggregate) {
        let _ = write!(
            out,
            "CREATE AGGREGATE {} (SFUNC = {}, STYPE = {}",
            self.aggregate_signature(a),
            self.reference(&a.step),
            a.state
        );
        if let Some(f) = &a.final_function {
            let _ = write!(out, ", FINALFUNC = {}", self.reference(f));
        }
        if let Some(initial) = &a.initial {
            let _ = write!(out, ", INITCOND = {}", literal(initial));
        }
        out.push_str(");\n");
        self.comment(out, &format!("AGGREGATE {}", self.aggregate_signature(a)), &a.comment);
    }

    pub fn view(&self, out: &mut String, v: &View) {
        let name = self.name(&v.name);
        // security_invoker: row-level security of the tables applies to
        // whoever reads the view, not to the view's owner (plain views only).
        let options = if v.security_invoker && !v.materialized { " WITH (security_invoker = true)" } else { "" };
        let _ = writeln!(out, "CREATE {} {name}{options} AS {};", v.kind(), v.query);
        self.comment(out, &format!("{} {name}", v.kind()), &v.comment);
    }

    pub fn trigger(&self, out: &mut String, t: &Trigger) {
        let table = self.name(&t.table);
        let _ = writeln!(
            out,
            "CREATE TRIGGER {} {} {} ON {table} FOR EACH {} EXECUTE FUNCTION {}({});",
            ident(&t.name),
            t.timing,
            t.events.join(" OR "),
            if t.for_each_row { "ROW" } else { "STATEMENT" },
            self.reference(&t.function),
            t.arguments.iter().map(|a| literal(a)).collect::<Vec<_>>().join(", ")
        );
        self.comment(out, &format!("TRIGGER {} ON {table}", ident(&t.name)), &t.comment);
    }
}
