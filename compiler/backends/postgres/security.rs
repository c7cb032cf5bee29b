//! Roles, grants and declared row-level security policies on PostgreSQL.
//!
//! - `role` → a cluster role (created when missing; NOLOGIN unless `login`),
//!   `inherits` → membership.
//! - `grant` → table and column privileges, plus USAGE on the schema. What
//!   patterns generated for an entity follows the entity's grants: its live
//!   view gets the same table privileges (not column privileges: the view
//!   reads every column as its reader), its history and as-of function are
//!   readable by whoever may read the entity. Generated routines are not
//!   executable by PUBLIC; the purge function by nobody but the owner.
//! - `grant … on View` → the view's table or column privileges; `grant
//!   execute on function f` → EXECUTE on the function (PUBLIC keeps the
//!   EXECUTE PostgreSQL gives it by default).
//! - `policy` → one PostgreSQL policy per command (named `<policy>` for one
//!   command, `<policy>_<command>` for several) and FORCE ROW LEVEL SECURITY
//!   on the table; a history table gets the policies that filter reading.
//!
//! Expressions are printed by `expr.rs` (`ctx.x` reads `app.x`, a missing
//! value matches nothing); statements by `render.rs`.

use std::collections::BTreeSet;

use super::lower::Lowering;
use super::model::{Grant, Policy, Role, RowSecurity};
use super::{expr, lower, types};
use crate::diagnostics::{codes, Diagnostic};
use crate::semantic::ir::{GrantedObject, PolicyCommand, Privilege};

impl Lowering<'_> {
    pub(super) fn lower_security(&mut self) {
        self.lower_policies();
        for role in &self.ir.roles {
            let lower = role.name.to_lowercase();
            if RESERVED_ROLES.contains(&lower.as_str()) || lower.starts_with("pg_") {
                let d = Diagnostic::new(codes::E0802, format!("PostgreSQL reserves the role name `{}`", role.name));
                let d = self.at(d, &role.id, "reserved on PostgreSQL");
                self.report(
                    d.note("`public` and `none` name no role, `pg_…` names are the server's own, and `current_user`, `session_user` and `current_role` stand for whoever is connected")
                        .help("choose another name"),
                );
                continue;
            }
            self.catalog.roles.push(Role {
                name: role.name.clone(),
                login: role.login,
                member_of: role.inherits.clone(),
                // A role is the cluster's: one project's doc comment would
                // overwrite another's. Docs show it; the database does not.
                comment: None,
            });
        }
        self.lower_grants();
    }

    fn lower_policies(&mut self) {
        let ir = self.ir;
        // `row_security enabled|forced` without policies: nothing is visible
        // to the roles it covers until policies are added.
        for entity in ir.entities.iter().filter(|e| e.row_security.is_some()) {
            self.secure(&entity.table, level(entity));
        }
        for policy in &ir.policies {
            let Some(entity) = ir.entity(&policy.entity) else { continue };
            let scope = self.scope(Some(entity));
            let using = policy.using.as_ref().map(|e| expr::print(e, &scope));
            let check = policy.check.as_ref().map(|e| expr::print(e, &scope));
            let commands = commands(&policy.commands);
            let several = commands.len() > 1;
            let comment = policy.doc.clone();
            for command in &commands {
                let name = if several {
                    super::names::fit(&format!("{}_{}", policy.name, command.to_lowercase()))
                } else {
                    policy.name.clone()
                };
                // `using` filters rows a command reads; `check` the rows it writes.
                let reads = matches!(*command, "ALL" | "SELECT" | "UPDATE" | "DELETE");
                let writes = matches!(*command, "ALL" | "INSERT" | "UPDATE");
                self.catalog.policies.push(Policy {
                    name: name.clone(),
                    table: entity.table.clone(),
                    permissive: !policy.restrictive,
                    command: command.to_string(),
                    roles: policy.roles.clone(),
                    using: using.clone().filter(|_| reads),
                    check: check.clone().filter(|_| writes),
                    comment: comment.clone(),
                });
                // The history is read like the entity, and written by its trigger.
                if let (Some(history), true) =
                    (self.histories.get(&entity.name).cloned(), *command == "ALL" || *command == "SELECT")
                {
                    self.catalog.policies.push(Policy {
                        name,
                        table: history,
                        permissive: !policy.restrictive,
                        command: "SELECT".into(),
                        roles: policy.roles.clone(),
                        using: using.clone(),
                        check: None,
                        comment: comment.clone(),
                    });
                }
            }
            self.secure(&entity.table, level(entity));
            if let Some(history) = self.histories.get(&entity.name).cloned() {
                self.secure(&history, RowSecurity::Enabled);
            }
        }
    }

    fn lower_grants(&mut self) {
        let ir = self.ir;
        let mut grants: BTreeSet<Grant> = BTreeSet::new();
        let views: BTreeSet<&str> = self.catalog.views.iter().map(|v| v.name.as_str()).collect();
        let routines: std::collections::BTreeMap<&str, &super::model::Function> =
            self.catalog.functions.iter().map(|f| (f.name.as_str(), f)).collect();
        let table = |object: &str, role: &str, privilege: &str, columns: Vec<String>| Grant {
            kind: "TABLE".into(),
            object: object.to_string(),
            params: Vec::new(),
            role: role.to_string(),
            privilege: privilege.to_string(),
            columns,
        };
        for grant in &ir.grants {
            let Some(entity) = ir.entity(&grant.entity) else { continue };
            let privilege = privilege(grant.privilege);
            let columns: Vec<String> = grant
                .columns
                .iter()
                .flatten()
                .map(|f| entity.field(f).map_or_else(|| f.clone(), |f| f.column.clone()))
                .collect();
            grants.insert(table(&entity.table, &grant.role, privilege, columns.clone()));
            // What the entity's patterns made follows its grants.
            let live = lower::generated_name(&entity.table, "live");
            // Table privileges only: the view reads every column, and the
            // reader needs the privilege on each (it runs as the reader), so a
            // column grant on the view could never be used.
            let viewable = !matches!(privilege, "REFERENCES" | "TRUNCATE") && columns.is_empty();
            if viewable && views.contains(live.as_str()) {
                grants.insert(table(&live, &grant.role, privilege, Vec::new()));
            }
            if privilege == "SELECT" {
                if let Some(history) = self.histories.get(&entity.name) {
                    grants.insert(table(history, &grant.role, "SELECT", columns.clone()));
                }
                let as_of = lower::generated_name(&entity.table, "as_of");
                if let Some(f) = routines.get(as_of.as_str()) {
                    grants.insert(Grant {
                        kind: "FUNCTION".into(),
                        object: as_of.clone(),
                        params: f.params.iter().map(|(_, t)| t.clone()).collect(),
                        role: grant.role.clone(),
                        privilege: "EXECUTE".into(),
                        columns: Vec::new(),
                    });
                }
            }
        }
        for grant in &ir.object_grants {
            let privilege = privilege(grant.privilege).to_string();
            let role = grant.role.clone();
            match grant.kind {
                GrantedObject::View => {
                    let name = types::type_name(&grant.object);
                    if !views.contains(name.as_str()) {
                        continue;
                    }
                    let columns = grant.columns.iter().flatten().map(|c| ir.view_column(&grant.object, c)).collect();
                    grants.insert(Grant {
                        kind: "TABLE".into(),
                        object: name,
                        params: Vec::new(),
                        role,
                        privilege,
                        columns,
                    });
                }
                GrantedObject::Function => {
                    let Some(f) = routines.get(grant.object.as_str()) else { continue };
                    let params = f.params.iter().map(|(_, t)| t.clone()).collect();
                    let object = grant.object.clone();
                    grants.insert(Grant {
                        kind: "FUNCTION".into(),
                        object,
                        params,
                        role,
                        privilege,
                        columns: Vec::new(),
                    });
                }
            }
        }
        // Generated routines run for whoever the grants above allow, never PUBLIC.
        let names: BTreeSet<String> = ir
            .entities
            .iter()
            .flat_map(|e| [lower::generated_name(&e.table, "as_of"), lower::generated_name(&e.table, "purge")])
            .collect();
        for f in self.catalog.functions.iter_mut() {
            if names.contains(&f.name) {
                f.revoke_public = true;
            }
        }
        self.catalog.grants = grants.into_iter().collect();
    }
}

/// Role names PostgreSQL refuses (besides every `pg_…` name).
const RESERVED_ROLES: &[&str] = &["public", "none", "current_user", "session_user", "current_role"];

/// PostgreSQL commands of a policy: `ALL`, or each command listed.
fn commands(commands: &[PolicyCommand]) -> Vec<&'static str> {
    let all = [PolicyCommand::Select, PolicyCommand::Insert, PolicyCommand::Update, PolicyCommand::Delete];
    if commands.is_empty() || commands.contains(&PolicyCommand::All) || all.iter().all(|c| commands.contains(c)) {
        return vec!["ALL"];
    }
    all.iter()
        .filter(|c| commands.contains(c))
        .map(|c| match c {
            PolicyCommand::Select => "SELECT",
            PolicyCommand::Insert => "INSERT",
            PolicyCommand::Update => "UPDATE",
            _ => "DELETE",
        })
        .collect()
}

fn privilege(privilege: Privilege) -> &'static str {
    match privilege {
        Privilege::Execute => "EXECUTE",
        Privilege::Select => "SELECT",
        Privilege::Insert => "INSERT",
        Privilege::Update => "UPDATE",
        Privilege::Delete => "DELETE",
        Privilege::References => "REFERENCES",
        Privilege::Truncate => "TRUNCATE",
        Privilege::Trigger => "TRIGGER",
    }
}

/// How far an entity's policies reach: `row_security enabled` stops at the
/// table's owner; otherwise they bind the owner too (forced).
fn level(entity: &crate::semantic::ir::Entity) -> RowSecurity {
    match entity.row_security {
        Some(crate::semantic::ir::RowSecurityLevel::Enabled) => RowSecurity::Enabled,
        _ => RowSecurity::Forced,
    }
}
